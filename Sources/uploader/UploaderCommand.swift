import ArgumentParser
import Foundation

@main
struct UploaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploader",
        abstract: "Verify carried-out spools and replay their entries to the vendor's endpoint, exactly once in effect.",
        discussion: "A SQLite retry ledger records every entry and attempt, so an interrupted upload resumes where it stopped.",
        subcommands: [Verify.self, Upload.self, Status.self])

    /// Usage errors exit with 2 (not argument-parser's 64), as the spooler's do.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}

/// The exit statuses shared by all subcommands.
enum ExitStatus {
    static let problems: Int32 = 1
    static let usage: Int32 = 2
    /// `upload` stopped with entries still waiting for a retry (EX_TEMPFAIL): run it again later.
    static let retryLater: Int32 = 75
}
