import ArgumentParser
import CommandLineSupport
import FoundationEssentials

@main
struct SpoolerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spooler",
        abstract: "Spool signed, compressed telemetry reports on a disconnected server.",
        discussion: "Entries are written to a spool directory, to be carried out and uploaded elsewhere. The spooler contains no network code.\n\n"
            + ExitStatus.help,
        version: ToolVersion.line,
        subcommands: [Collect.self, Preview.self, Run.self, Catalog.self, Verify.self, Inspect.self, Export.self, Ack.self, Keygen.self, Pubkey.self]
    )

    /// Usage errors exit with 2 (not argument-parser's 64), so scripts can tell them from problems found (1).
    static func main() async { await runReportingUsageErrors() }
}
