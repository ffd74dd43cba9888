import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import Logging
import SpoolStore
import TelemetryReport

/// Where the spool, the state and the configuration are: shared by every subcommand.
struct SpoolOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The spool directory.", valueName: "dir"))
    var spool: String = "Spool"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The state directory (installation ID, keys, chain state); never inside the spool. Default: $SPOOLER_STATE, /var/lib/telemetry-spool for root, else ~/.local/state/telemetry-spool.",
            valueName: "dir"))
    var state: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The configuration file. Default: \(ConfigurationLocation.defaultOrder); else built-in defaults.",
            valueName: "file"))
    var config: String?

    var stateDirectory: StateDirectory { StateDirectory(path: state ?? StateDirectory.defaultPath(), notice: Console.error) }

    func loadConfiguration() throws -> SpoolerConfiguration { try SpoolerConfiguration.load(path: config) }

    func validate() throws {
        do {
            try stateDirectory.checkOutside(spool: spool)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

enum Console {
    static func error(_ message: String) {
        printError(message)
    }

    static var logger: Logger {
        var logger = Logger(label: "spooler") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = ProcessInfo.processInfo.environment["SPOOLER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }
}
