import ArgumentParser

/// Exit statuses shared by the spooler, the uploader and the receiver, so scripts can rely on them.
public enum ExitStatus {
    /// The command ran and found problems (damaged entries, rejected uploads), or failed while
    /// running (a missing directory, an unreadable file): the message names the path.
    public static let problems: Int32 = 1
    /// The command line was wrong (a bad flag or flag value): argument-parser's 64 (EX_USAGE) is
    /// mapped to 2, and the usage line is printed.
    public static let usage: Int32 = 2
    /// `upload` stopped with entries still waiting for a retry or the endpoint paused, or a
    /// resource was busy (EX_TEMPFAIL): run it again later.
    public static let retryLater: Int32 = 75

    /// The statuses as the commands' `--help` lists them.
    public static let help = """
        Exit status: 0 success; 1 problems found, or a failure while running (the message names the \
        file or directory); 2 usage error (a bad flag or flag value; the usage line is printed); \
        75 try again later ('uploader upload' left entries waiting for a retry or paused the endpoint, \
        or the ledger was busy).
        """
}

/// A failure at run time with a command line that was fine: a missing spool directory, an
/// unreadable file. It exits with ``ExitStatus/problems`` and one message, without the usage
/// line that would send the user looking for a wrong flag.
public struct RuntimeFailure: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// A condition that passes: a busy ledger, locked by another process. It exits with
/// ``ExitStatus/retryLater`` and one message, so that scripts retry rather than report a failure.
public struct TemporaryFailure: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}

extension ParsableCommand {
    /// Parses the command line and runs the chosen subcommand, exiting with
    /// ``ExitStatus/usage`` on usage errors, ``ExitStatus/problems`` on a ``RuntimeFailure``, and
    /// as argument-parser does otherwise.
    public static func runReportingUsageErrors() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as RuntimeFailure {
            printError("Error: \(failure)")
            exitProcess(ExitStatus.problems)
        } catch let failure as TemporaryFailure {
            printError("Error: \(failure)")
            exitProcess(ExitStatus.retryLater)
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                exitProcess(ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}

/// Writes a line to stderr. A failing stderr (closed pipe) must not turn an error report into a crash.
public func printError(_ message: String) {
    try? StandardStream.error.writeLine(message)
}
