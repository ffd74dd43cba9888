import ArgumentParser
import Foundation

/// Exit statuses shared by the spooler and the uploader, so scripts can rely on them.
public enum ExitStatus {
    /// The command ran and found problems (damaged entries, rejected uploads).
    public static let problems: Int32 = 1
    /// The command line was wrong: argument-parser's 64 (EX_USAGE) is mapped to 2.
    public static let usage: Int32 = 2
    /// `upload` stopped with entries still waiting for a retry (EX_TEMPFAIL): run it again later.
    public static let retryLater: Int32 = 75
}

extension ParsableCommand {
    /// Parses the command line and runs the chosen subcommand, exiting with
    /// ``ExitStatus/usage`` on usage errors and as argument-parser does otherwise.
    public static func runReportingUsageErrors() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                try? FileHandle.standardError.write(contentsOf: Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}
