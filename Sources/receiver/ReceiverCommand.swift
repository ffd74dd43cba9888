import ArgumentParser
import CommandLineSupport

@main
struct ReceiverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receiver",
        abstract: "The reference endpoint for TelemetrySpool entries: verify, deduplicate, store, summarise.",
        discussion: ExitStatus.help,
        version: ToolVersion.line,
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self)

    /// Usage errors exit with 2 (not argument-parser's 64), as the spooler's and the uploader's do.
    static func main() async { await runReportingUsageErrors() }
}
