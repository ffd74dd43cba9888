import ArgumentParser
import CommandLineSupport
import Foundation
import Logging
import ReplayClient
import SpoolFormat
import SpoolStore

extension UploaderCommand {
    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "upload",
            abstract: "Verify a spool or exported batches and replay their entries to the endpoint; resume with the ledger.",
            discussion: """
                Entries that fail verification are quarantined in the ledger with the reason and never sent, and so is \
                a fork: an entry at a sequence the ledger already holds with another digest (sequence_fork). Entries \
                after a gap in what the ledger holds (sequence_gap_ledger) are genuine and sent; the gap is reported. \
                Each entry is replayed with its recorded method and path, its exact body, the Spool-Metadata and \
                Spool-Signature headers and Idempotency-Key set to its digest (docs/PROTOCOL.md). Failed attempts are \
                retried with exponential backoff and jitter, honouring Retry-After up to --retry-cap, until everything \
                is delivered or rejected, or the next attempt is further away than --max-wait; the next run resumes. \
                When every request fails (10 entries in a row, or every entry of a smaller spool at least 3 times in all, with no success), \
                the endpoint is paused: the run ends and no attempt counts against the entries. An entry is given \
                up (rejected) only while the endpoint otherwise answers, after --give-up-after. \
                Exit status: 0 all delivered, 1 entries rejected or quarantined or a gap before them, 2 usage error, \
                75 entries still waiting for a retry or the endpoint paused (run again later).
                """)

        @OptionGroup var spool: SpoolTrustOptions
        @OptionGroup var ledgerOptions: LedgerOptions

        @Option(help: ArgumentHelp("The endpoint's base URL, e.g. https://telemetry.vendor.example; each entry's recorded path is appended.", valueName: "url"))
        var endpoint: String

        @Option(help: "Requests in flight at most (default 64; 8 with --entries-per-request above 1, each request then carrying many entries).")
        var concurrency: Int?

        var effectiveConcurrency: Int { concurrency ?? (entriesPerRequest > 1 ? 8 : 64) }

        @Option(
            name: .customLong("entries-per-request"),
            help: ArgumentHelp(
                "Send up to this many entries in one request (an application/http pipeline, docs/PROTOCOL.md section 7), to an endpoint that takes them, as the reference receiver does. 1 (the default) sends each entry's own request.",
                valueName: "n"))
        var entriesPerRequest = 1

        @Option(
            name: .customLong("max-wait"),
            help: ArgumentHelp("Stop when the next attempt is further away than this; the ledger keeps the rest for the next run.", valueName: "seconds"))
        var maxWait = 60.0

        @Option(
            name: .customLong("ca-file"),
            help: ArgumentHelp("A PEM file of CA certificates to trust besides the system's (a site's own CA). TLS verification stays on.", valueName: "file"))
        var caFile: String?

        @Option(
            name: .customLong("max-attempts"),
            help: "Attempts per entry, counted while the endpoint otherwise answers, before it is rejected (dead letter). Default: no limit; give-up is by age."
        )
        var maxAttempts: Int?

        @Option(
            name: .customLong("give-up-after"),
            help: ArgumentHelp(
                "Reject an entry that still fails, while the endpoint otherwise answers, once it was first seen this long ago (default 21 days).",
                valueName: "seconds"))
        var giveUpAfter = RetryPolicy.defaultGiveUpAfter

        @Flag(name: .customLong("now"), help: "Send every entry still to deliver now, ignoring the backoff schedule and Retry-After of earlier attempts.")
        var now = false

        @Option(name: .customLong("retry-base"), help: ArgumentHelp("The first backoff; it doubles per attempt, jittered.", valueName: "seconds"))
        var retryBase = 1.0

        @Option(
            name: .customLong("retry-cap"), help: ArgumentHelp("The longest backoff, and the longest wait a Retry-After can ask for.", valueName: "seconds"))
        var retryCap = 300.0

        @Option(name: .customLong("timeout"), help: ArgumentHelp("The limit for one request, answer included.", valueName: "seconds"))
        var timeout = 30.0

        @Option(name: .customLong("connect-timeout"), help: ArgumentHelp("The limit for opening a connection.", valueName: "seconds"))
        var connectTimeout = 10.0

        @Option(
            name: .customLong("memory"),
            help: ArgumentHelp(
                "Verified entries waiting to be sent take at most this many MiB: verification waits for sending to catch up, and each entry is sent exactly as verified.",
                valueName: "MiB"))
        var memory = 4

        @Flag(name: .customLong("retry-rejected"), help: "Send rejected entries (dead letters) again, once their cause is fixed; attempts count from zero.")
        var retryRejected = false

        @Flag(help: "Print the result as JSON instead of the summary line.")
        var json = false

        func validate() throws {
            guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                throw ValidationError("--endpoint '\(endpoint)' is not an http(s) URL, e.g. --endpoint https://telemetry.vendor.example")
            }
            try BoundedOption.check(concurrency, "--concurrency", in: 1...256)
            try BoundedOption.check(entriesPerRequest, "--entries-per-request", in: 1...UploadOptions.maxEntriesPerRequest)
            // Every entry in flight is held in memory: the product is what bounds it.
            let inFlight = effectiveConcurrency * entriesPerRequest
            guard inFlight <= UploadOptions.maxEntriesInFlight else {
                throw ValidationError(
                    "--concurrency \(effectiveConcurrency) with --entries-per-request \(entriesPerRequest) puts \(inFlight) entries in flight, more than \(UploadOptions.maxEntriesInFlight); lower one of them"
                )
            }
            try BoundedOption.check(maxWait, "--max-wait", in: 0...BoundedOption.seconds.upperBound, unit: "seconds")
            try BoundedOption.check(memory, "--memory", in: 0...65_536, unit: "MiB")
            try BoundedOption.check(maxAttempts, "--max-attempts", in: 1...1_000_000)
            try BoundedOption.check(giveUpAfter, "--give-up-after", in: 60...BoundedOption.seconds.upperBound * 10, unit: "seconds")
            try BoundedOption.check(retryBase, "--retry-base", in: BoundedOption.seconds, unit: "seconds")
            try BoundedOption.check(retryCap, "--retry-cap", in: retryBase...BoundedOption.seconds.upperBound, unit: "seconds (at least --retry-base)")
            try BoundedOption.check(timeout, "--timeout", in: BoundedOption.seconds, unit: "seconds")
            try BoundedOption.check(connectTimeout, "--connect-timeout", in: BoundedOption.seconds, unit: "seconds")
        }

        func run() async throws { try await withLedgerAsync { try await upload() } }

        func upload() async throws {
            try spool.checkDirectory()
            if let caFile {
                do {
                    _ = try HTTPSettings.certificates(caFile: caFile)
                } catch {
                    throw RuntimeFailure("\(error)")
                }
            }
            let ledgerPath = ledgerOptions.path
            try spool.checkLedgerOutside(ledgerPath)
            let lock = try LedgerLock(ledgerPath: ledgerPath)
            defer { lock.release() }
            let ledger = try Ledger(path: ledgerPath)
            let trust = try spool.trust(ledger: ledger)
            var options = UploadOptions(
                endpoint: URL(string: endpoint)!, concurrency: effectiveConcurrency, maxWait: maxWait,
                policy: RetryPolicy(base: retryBase, cap: retryCap, maxAttempts: maxAttempts, giveUpAfter: giveUpAfter),
                http: HTTPSettings(caFile: caFile, connectTimeout: connectTimeout, requestTimeout: timeout),
                keepBytes: memory << 20)
            options.retryRejected = retryRejected
            options.entriesPerRequest = entriesPerRequest
            options.ignoreSchedule = now
            var logger = Logger(label: "uploader")
            logger.logLevel = .warning
            let bar = isatty(STDERR_FILENO) == 1 && !json ? ProgressBar() : nil
            // Failures on stderr as they happen; over a progress bar, the bar's line is cleared first.
            let clearLine = bar != nil
            options.report = { message in printError((clearLine ? "\r\u{1B}[K" : "") + PrintableText.path(message)) }
            let (summary, scan) = try await Uploader(ledger: ledger, options: options, logger: logger).run(
                directory: spool.directory, trust: trust, progress: bar)
            bar?.close()
            if json {
                print(try JSONOutput.encode(UploadOutput(summary: summary, endpoint: endpoint, problems: scan.problems)))
            } else {
                printProblems(scan, directory: spool.directory, write: printError)
                print(Self.line(summary))
            }
            // A gap before the entries sent: they were delivered, but the missing ones must be found.
            if summary.rejected > 0 || summary.quarantined > 0 || scan.hasLedgerGap { throw ExitCode(ExitStatus.problems) }
            if summary.waiting > 0 { throw ExitCode(ExitStatus.retryLater) }
        }

        static func line(_ s: UploadSummary) -> String {
            var parts: [String] = []
            if s.delivered > 0 || s.entries == 0 {
                parts.append("\(s.delivered) delivered" + (s.duplicates > 0 ? " (\(s.duplicates) of them already stored at the endpoint)" : ""))
            }
            if s.alreadyDelivered > 0 { parts.append("\(s.alreadyDelivered) delivered before") }
            if s.rejected > 0 { parts.append("\(s.rejected) rejected") }
            if s.quarantined > 0 { parts.append("\(s.quarantined) quarantined") }
            if s.waiting > 0 { parts.append("\(s.waiting) waiting") }
            var text =
                "\(s.entries) entries: " + parts.joined(separator: ", ")
                + "; \(s.requests) requests" + (s.pipelines > 0 ? " (\(s.pipelines) pipelines)" : "") + " in \(String(format: "%.2f", s.seconds)) s"
            if s.delivered > 0 { text += " (\(Int(s.rate.rounded())) entries/s)" }
            if let paused = s.endpointPaused {
                text += "; endpoint paused: \(paused); no attempt counted against the entries: run upload again later"
            } else if let next = s.nextAttempt {
                text += "; next attempt \(next): run upload again then"
            }
            return text
        }
    }
}

struct UploadOutput: Encodable {
    var summary: UploadSummary
    var endpoint: String
    var problems: [SpoolProblem]
}
