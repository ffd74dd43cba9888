import ArgumentParser

@main
struct ReceiverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receiver",
        abstract: "The reference endpoint for TelemetrySpool entries: verify, deduplicate, store, summarise.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self)
}
