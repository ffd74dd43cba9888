import ArgumentParser
import CommandLineSupport
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TelemetryReport

extension SpoolerCommand {
    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "collect",
            abstract: "Collect a report and write it to the spool as one signed entry.",
            discussion: """
                Prints the path of the new .json.gz as the last line of stdout. On a fresh state directory \
                it first creates the installation ID and signing key. A value refused by the privacy guard \
                stops it before anything is written (exit 1, naming the metric and the rule). With \
                'reporting = off' or SPOOLER_REPORTING=off it spools nothing and says so (exit 0).
                """)

        @OptionGroup var options: SpoolOptions

        func run() throws {
            let configuration = try options.loadConfiguration()
            Console.error(configuration.location.description)
            guard configuration.reporting else {
                print(ReportingOff.message(configuration, command: "collect"))
                return
            }
            let producer = try options.lockProducer()
            defer { withExtendedLifetime(producer) {} }
            let writer = try options.openWriter()
            let outcome: SpoolingJob.Outcome
            do {
                outcome = try SpoolingJob(writer: writer, configuration: configuration).spoolOnce()
            } catch let violation as PrivacyViolation {
                Console.error("error: \(violation)")
                throw ExitCode(ExitStatus.problems)
            }
            Console.summarise(outcome)
            print(outcome.path)
        }
    }
}

/// How the commands say that reporting is switched off.
enum ReportingOff {
    static func message(_ configuration: SpoolerConfiguration, command: String) -> String {
        let why =
            configuration.reportingFromEnvironment || configuration.source == nil
            ? "SPOOLER_REPORTING=off" : "reporting = off in \(configuration.source!)"
        return "reporting is off (\(why)): \(command) spools nothing"
    }
}

extension SpoolOptions {
    /// Takes the scheduler lock on the spool directory (creating it): one producer at a time.
    func lockProducer() throws -> SchedulerLock {
        try FileSystem.makeDirectory(spool, permissions: 0o755)
        return try SchedulerLock(directory: spool)
    }

    /// Opens the spool for writing: creates the identity on a fresh state directory, takes the
    /// spool lock and cleans up leftovers of interrupted writes.
    func openWriter() throws -> SpoolWriter {
        let state = stateDirectory
        try FileSystem.makeDirectory(spool, permissions: 0o755)
        let (identity, created) = try state.loadOrCreateIdentity()
        if created {
            Console.error("created installation \(identity.installation) and its signing key in \(PrintableText.path(state.path))")
        }
        let writer = try SpoolWriter(spool: spool, state: state, identity: identity, logger: Console.logger)
        for action in writer.recovered {
            Console.error(action.isLeftover ? "recovered: \(action)" : "warning: \(action); see 'spooler verify'")
        }
        return writer
    }
}

extension Console {
    /// Metrics left out and entries dropped by a spool limit, on stderr.
    static func summarise(_ outcome: SpoolingJob.Outcome) {
        let missing = outcome.report.diagnostics
        if !missing.isEmpty {
            let byCode = Dictionary(grouping: missing, by: \.error).sorted { $0.key < $1.key }
            error(
                "\(outcome.report.metrics.count) metrics reported, \(missing.count) left out (see 'spooler preview'): "
                    + byCode.map { "\($0.key): " + $0.value.map(\.metric).joined(separator: ", ") }.joined(separator: "; "))
        }
        for tombstone in outcome.tombstones {
            error(
                "spool limit \(tombstone.reason.rawValue): removed entries \(tombstone.dropped.first)...\(tombstone.dropped.last) (\(tombstone.entries) entries, \(tombstone.bytes) bytes); a signed tombstone records it"
            )
        }
    }
}
