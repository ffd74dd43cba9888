import ArgumentParser
import CommandLineSupport
import Foundation

@main
struct UploaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploader",
        abstract: "Verify carried-out spools and replay their entries to the vendor's endpoint, exactly once in effect.",
        discussion: "A SQLite retry ledger records every entry and attempt, so an interrupted upload resumes where it stopped.\n\n" + ExitStatus.help,
        version: ToolVersion.line,
        subcommands: [Verify.self, Upload.self, Status.self, Trust.self, Receipt.self, Pubkey.self])

    /// Usage errors exit with 2 (not argument-parser's 64), as the spooler's do.
    static func main() async { await runReportingUsageErrors() }
}
