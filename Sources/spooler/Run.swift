import ArgumentParser
import CommandLineSupport
import Dispatch
import FoundationEssentials
import SpoolStore
import Synchronization
import TelemetryReport

#if canImport(Glibc)
    import Glibc
#endif

extension SpoolerCommand {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Spool a report on a schedule until stopped (SIGTERM or SIGINT).",
            discussion: """
                Reports every 'interval' (default 24h) plus a random 'jitter' (default up to 1h). At start \
                it spools at once when the newest report is older than the interval (catch-up after \
                downtime). While it runs, a second 'run' or a 'collect' on the same spool exits with an \
                error; it takes the spool's write lock only while it writes a report, so other commands \
                can use the spool in between. A stop signal is honoured between reports, never within one. \
                Prints each new entry's path on stdout. See contrib/ for a systemd service.
                """)

        @OptionGroup var options: SpoolOptions

        @Option(name: .customLong("interval-seconds"), help: .hidden)
        var intervalSeconds: Double?

        @Option(name: .customLong("jitter-seconds"), help: .hidden)
        var jitterSeconds: Double?

        @Option(name: .customLong("max-reports"), help: .hidden)
        var maxReports: Int?

        func validate() throws {
            try BoundedOption.check(intervalSeconds, "--interval-seconds", in: BoundedOption.seconds, unit: "seconds")
            try BoundedOption.check(jitterSeconds, "--jitter-seconds", in: 0...BoundedOption.seconds.upperBound, unit: "seconds")
            try BoundedOption.check(maxReports, "--max-reports", in: 1...Int(Int32.max))
        }

        func run() throws {
            let configuration = try options.loadConfiguration()
            Console.error(configuration.location.description)
            guard configuration.reporting else {
                print(ReportingOff.message(configuration, command: "run"))
                return
            }
            // Held for the whole run: stops a second run or a collect. The spool lock is taken
            // only while a report is written, so maintenance can use the spool in between.
            let producer = try options.lockProducer()
            defer { withExtendedLifetime(producer) {} }
            let lastReport = try SpoolingJob(writer: options.openWriter(), configuration: configuration).lastReportTime()
            let clock = SystemClock()
            let signals = StopSignals(clock: clock)
            defer { signals.cancel() }
            let scheduler = ReportScheduler(
                interval: intervalSeconds ?? configuration.interval,
                jitter: jitterSeconds ?? (intervalSeconds == nil ? min(configuration.jitter, configuration.interval) : 0),
                clock: clock)
            let spooled = scheduler.run(
                lastReport: lastReport, maxReports: maxReports,
                spool: {
                    let job = SpoolingJob(writer: try openWriterWaiting(clock: clock), configuration: configuration)
                    let outcome = try job.spoolOnce(now: clock.now())
                    Console.summarise(outcome)
                    print(outcome.path)
                    fflush(nil)  // all output streams: `stdout` is a global Swift 6 cannot share
                },
                failed: { error, next in
                    Console.error("error: \(error); next attempt at \(next.formatted(.iso8601))")
                },
                event: { event in
                    switch event {
                    case .due(_, let catchUp) where catchUp:
                        Console.error("no report within the last interval: spooling one now (catch-up)")
                    case .waiting(let until):
                        Console.error("next report at \(until.formatted(.iso8601))")
                    default:
                        break
                    }
                })
            if clock.isStopped {
                Console.error("stopped by \(signals.received ?? "signal") after \(spooled) report(s); no entry was in progress")
            }
        }
    }
}

extension SpoolerCommand.Run {
    /// Opens the spool for one report; while another command holds the spool lock (a short
    /// maintenance step), retries every second for up to a minute.
    func openWriterWaiting(clock: SystemClock) throws -> SpoolWriter {
        var attempts = 0
        while true {
            do {
                return try options.openWriter()
            } catch let busy as SpoolLock.Busy {
                attempts += 1
                guard attempts < 60, clock.sleep(until: clock.now().addingTimeInterval(1)) else { throw busy }
            }
        }
    }
}

/// SIGTERM and SIGINT stop the scheduler's clock instead of killing the process.
final class StopSignals: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let name = Mutex<String?>(nil)

    init(clock: SystemClock) {
        for (signo, label) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { [weak self] in
                self?.record(label)
                clock.stop()
            }
            source.resume()
            sources.append(source)
        }
    }

    private func record(_ label: String) {
        name.withLock { name in
            if name == nil { name = label }
        }
    }

    var received: String? {
        name.withLock { $0 }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
