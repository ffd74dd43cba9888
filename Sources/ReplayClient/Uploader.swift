import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SpoolFormat
import SpoolProtocol
import SpoolStore

/// Replays a spool's entries to the endpoint, with the ledger deciding what still needs sending.
///
/// Each entry is verified, with the whole spool's checks (`SpoolScan`), before it is sent, and
/// what is sent is exactly what was verified: the verified entry kept in memory, or, beyond the memory
/// budget, the entry read and verified again just before its request is built (a file changed
/// in between is quarantined, not sent).
public final class Uploader: Sendable {
    public let ledger: Ledger
    public let options: UploadOptions
    let logger: Logger

    public init(ledger: Ledger, options: UploadOptions, logger: Logger) {
        self.ledger = ledger
        self.options = options
        self.logger = logger
    }

    /// Verifies `directory`, records it in the ledger, and sends what is due until everything is
    /// delivered or rejected, or the next attempt is further away than `maxWait`.
    ///
    /// Verification runs on its own thread and hands over accepted entries batch by batch
    /// (``ScanHandOff``), so sending starts while the rest of the spool is still being verified.
    /// The loop below sleeps until something happens: a batch handed over, an attempt back, or
    /// the next entry falling due (``SendSchedule``, ``DueWakeUp``); attempts reach the ledger in
    /// batches (``LedgerFlushPolicy``).
    /// - Parameter progress: told about every outcome (for a progress bar).
    public func run(directory: String, trust: TrustSource, progress: (any UploadProgress)? = nil) async throws -> (UploadSummary, SpoolScan) {
        let start = Date()
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let budget = SendBudget(limit: options.keepBytes)
        let scan = ScanHandOff(directory: directory, trust: trust, ledger: ledger, options: options, budget: budget, start: start) {
            sink.yield(.scan($0))
        }
        var summary = UploadSummary()
        // Entries in flight: each request in flight carries up to --entries-per-request.
        var schedule = SendSchedule(concurrency: options.concurrency * options.entriesPerRequest)
        var flush = LedgerFlushPolicy(ledger: ledger)
        var wakeUp = DueWakeUp()
        defer { wakeUp.cancel() }
        var verification: ScanHandOff.Outcome?
        var scanned = start
        var health = EndpointHealth(concurrency: options.concurrency * options.entriesPerRequest)
        let pipelineRefusal = PipelineRefusal()
        let pipelinesSent = NIOLockedValueBox(0)
        var watch = FailureWatch(report: options.report)
        var toSend = 0
        let client: HTTPClient
        do {
            client = try options.http.makeClient(endpoint: options.endpoint, concurrency: options.concurrency)
        } catch {
            // Let verification end before the ledger goes away.
            await scan.ended()
            throw error
        }
        do {
            // Discarding: a finished attempt's task is freed at once (an ordinary group keeps every
            // finished child until its result is awaited, about 13 KB each).
            try await withThrowingDiscardingTaskGroup { group in
                var events = events.makeAsyncIterator()
                while true {
                    // A paused endpoint gets no new request; the run ends once those in flight are back.
                    let due = health.paused == nil ? schedule.takeDue(now: Date(), room: options.entriesPerRequest) : []
                    // One task per request: an entry alone, or a pipeline's worth.
                    for first in stride(from: 0, to: due.count, by: options.entriesPerRequest) {
                        let works = Array(due[first..<min(first + options.entriesPerRequest, due.count)])
                        group.addTask {
                            for event in await self.attempt(works, client: client, trust: trust, refusal: pipelineRefusal, sent: pipelinesSent) {
                                sink.yield(event)
                            }
                        }
                    }
                    if schedule.inFlight == 0 {
                        if health.paused != nil, verification != nil {
                            break
                        } else if let next = schedule.next {
                            if verification != nil {
                                if next.due.timeIntervalSince(Date()) > options.maxWait {
                                    summary.nextAttempt = next.due.formatted(.iso8601)
                                    break
                                }
                                try flush.flush()
                            }
                            wakeUp.set(for: next.due) { sink.yield(.due) }
                        } else if verification != nil {
                            break
                        }
                    }
                    guard let event = await events.next() else { throw CancellationError() }
                    switch event {
                    case .scan(.handedOver(let registration)):
                        summary.count(registration)
                        let now = Date()
                        // No entry waits longer than --retry-cap, whatever an earlier run recorded;
                        // with --now none waits at all.
                        let latest = options.ignoreSchedule ? now : now.addingTimeInterval(options.policy.cap)
                        schedule.add(
                            registration.work.map { work in
                                var due = work
                                due.due = min(work.due, latest)
                                return due
                            })
                        toSend += registration.work.count
                        progress?.discovered(registration.work.count)
                    case .scan(.ended(let result)):
                        let outcome = try result.get()
                        verification = outcome
                        summary.count(outcome)
                        scanned = Date()
                    case .attempted(var work, var record):
                        watch.observe(&record, work: work)
                        if let stop = watch.stop { health.pause(because: stop.message) }
                        // A retry reads and verifies the entry again: only entries not sent yet wait in memory.
                        if let entry = work.entry { budget.give(back: entry) }
                        work.entry = nil
                        judge(&record, work: work, health: &health, entriesToSend: toSend)
                        watch.tell(record, work: work)
                        summary.count(record)
                        schedule.finished(work, record: record)
                        progress?.finished(record)
                        try flush.add(record)
                    case .due:
                        break
                    }
                }
            }
            try flush.flush()
        } catch {
            try? flush.flush()
            try? await client.shutdown()
            await scan.ended()
            throw error
        }
        try await client.shutdown()
        guard let verification else { throw UploadError("verification ended without a result") }
        summary.waiting = schedule.waitingCount
        summary.pipelines = pipelinesSent.withLockedValue { $0 }
        summary.endpointPaused = health.paused
        summary.seconds = Date().timeIntervalSince(start)
        summary.scanSeconds = scanned.timeIntervalSince(start)
        summary.verifySeconds = verification.verified.timeIntervalSince(start)
        return (summary, verification.scan)
    }

    /// What the send loop wakes up for.
    enum Event: Sendable {
        case scan(ScanHandOff.Event)
        case attempted(Ledger.Work, Ledger.AttemptRecord)
        /// The entry due first may be due now.
        case due
    }

    /// Decides what a failed attempt means for its entry, given how the endpoint fares: a failure
    /// worth retrying counts against the entry only while the endpoint otherwise answers
    /// (``EndpointHealth``), and only then can the entry be given up (``RetryPolicy/giveUp(attempts:firstSeen:now:)``).
    func judge(_ record: inout Ledger.AttemptRecord, work: Ledger.Work, health: inout EndpointHealth, entriesToSend: Int) {
        guard record.sent else { return }
        switch record.state {
        case .delivered, .rejected:
            health.answered()
        case .retrying:
            let last = [record.status.map { "HTTP \($0)" }, record.error].compactMap { $0 }.joined(separator: ": ")
            record.counted = health.failed(entry: work.id, last: last, entriesToSend: entriesToSend)
            if record.counted, let why = options.policy.giveUp(attempts: work.attempts + 1, firstSeen: work.firstSeen, now: record.at) {
                record.state = .rejected
                record.nextAttempt = nil
                record.reason = "\(why); last: \(last)"
            }
        case .pending, .quarantined:
            break
        }
    }

    /// The record of an attempt of `work` that began at `started`.
    static func record(
        _ work: Ledger.Work, started: Date, _ state: LedgerEntryState, status: Int? = nil, error: String? = nil, next: Date? = nil,
        reason: String? = nil, sent: Bool = true, diagnosis: FailureDiagnosis? = nil
    ) -> Event {
        var attempt = Ledger.AttemptRecord(
            entry: work.id, at: started, status: status, error: error, latency: Date().timeIntervalSince(started),
            state: state, nextAttempt: next, reason: reason, sent: sent)
        attempt.diagnosis = diagnosis
        return .attempted(work, attempt)
    }

    /// One attempt: re-read and re-verify the entry, send it, classify the answer.
    func attempt(_ work: Ledger.Work, client: HTTPClient, trust: TrustSource) async -> Event {
        switch prepare(work, trust: trust) {
        case .success(let entry): return await send(entry, of: work, client: client)
        case .failure(let quarantined): return quarantined.event
        }
    }

    /// An entry that failed its check before sending: the event recording its quarantine.
    struct NotSent: Error {
        var event: Event
    }

    /// The entry to send for `work`: the verified entry kept in memory, or the file read and
    /// verified again; an entry that no longer verifies, or changed, is quarantined instead.
    func prepare(_ work: Ledger.Work, trust: TrustSource) -> Result<SpoolEntry, NotSent> {
        let started = Date()
        let entry: SpoolEntry
        if let verified = work.entry {
            entry = verified
        } else {
            // Checked again with the key the scan accepted (its pin under trust on first use).
            let recheck: any SignerTrust
            switch trust {
            case .allowedSigners(let signers): recheck = signers
            case .firstUse: recheck = SingleSignerTrust(key: work.key, principal: work.name.installation)
            }
            switch Self.open(work.name, in: work.folder, trust: recheck) {
            case .success(let opened): entry = opened
            case .failure(let problem):
                return .failure(
                    NotSent(
                        event: Self.record(
                            work, started: started, .quarantined, reason: "\(problem.code): \(problem.message) (checked again before sending)", sent: false)))
            }
        }
        guard entry.digest == work.digest else {
            return .failure(
                NotSent(
                    event: Self.record(
                        work, started: started, .quarantined,
                        reason:
                            "\(ProblemCode.entryChanged): \(work.name.entryFile) now holds digest \(entry.digest), verified as \(work.digest); rescan before sending",
                        sent: false)))
        }
        return .success(entry)
    }

    /// Sends one entry in a request of its own and classifies the answer.
    func send(_ entry: SpoolEntry, of work: Ledger.Work, client: HTTPClient) async -> Event {
        await send(EntryRequest(entry: entry), of: work, client: client)
    }

    /// Sends an entry's request on its own and classifies the answer.
    func send(_ contract: EntryRequest, of work: Ledger.Work, client: HTTPClient) async -> Event {
        let started = Date()
        do {
            let (status, retryAfter, body) = try await exchange(Self.request(contract, endpoint: options.endpoint), client: client, maxAnswer: 64 * 1024)
            return outcome(of: work, started: started, status: status, retryAfter: retryAfter, message: Self.errorMessage(body))
        } catch {
            return failure(of: work, started: started, error)
        }
    }

    /// Sends `request` and collects its answer, all within `--timeout`: an endpoint trickling
    /// its answer a byte at a time must not hold the upload for ever.
    func exchange(_ request: HTTPClientRequest, client: HTTPClient, maxAnswer: Int) async throws -> (status: Int, retryAfter: String?, body: String) {
        let requestTimeout = options.http.requestTimeout
        return try await Self.withTimeLimit(requestTimeout, on: client.eventLoopGroup.any()) {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(requestTimeout * 1000)))
            let body = try await response.body.collect(upTo: maxAnswer)
            return (Int(response.status.code), response.headers.first(name: "Retry-After"), String(buffer: body))
        }
    }

    /// What an answer with `status` means for `work` (docs/PROTOCOL.md, "3. Answers").
    func outcome(of work: Ledger.Work, started: Date, status: Int, retryAfter: String?, message: String?) -> Event {
        switch RetryPolicy.verdict(status: status) {
        case .delivered:
            return Self.record(work, started: started, .delivered, status: status)
        case .permanent:
            return Self.record(work, started: started, .rejected, status: status, error: message, reason: "HTTP \(status)" + (message.map { ": \($0)" } ?? ""))
        case .retry:
            let delay = options.policy.delay(afterAttempts: work.attempts + 1, status: status, retryAfter: retryAfter)
            return Self.record(work, started: started, .retrying, status: status, error: message, next: Date().addingTimeInterval(delay))
        }
    }

    /// A request for `work` that got no answer: retried after the backoff.
    func failure(of work: Ledger.Work, started: Date, _ error: any Error) -> Event {
        let diagnosis = FailureDiagnosis(error, endpoint: options.endpoint, caFile: options.http.caFile)
        return Self.record(
            work, started: started, .retrying, error: diagnosis.message,
            next: Date().addingTimeInterval(options.policy.backoff(afterAttempts: work.attempts + 1)), diagnosis: diagnosis)
    }

    /// Runs `operation`, cancelling it after `seconds`, with a timer on `eventLoop`.
    ///
    /// A timer of the event loop is removed when cancelled; the `Task.sleep` of a task group
    /// used before stayed allocated until its own deadline, a few hundred bytes for every
    /// request of the last `--timeout` seconds, and cost two tasks per request.
    static func withTimeLimit<T: Sendable>(
        _ seconds: TimeInterval, on eventLoop: any EventLoop, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let task = Task { try await operation() }
        let expired = NIOLockedValueBox(false)
        let timer = eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
            expired.withLockedValue { $0 = true }
            task.cancel()
        }
        defer { timer.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        } catch  where expired.withLockedValue({ $0 }) {
            throw RequestTimeLimit(seconds: seconds)
        }
    }

    static func open(_ name: EntryName, in directory: String, trust: any SignerTrust) -> Result<SpoolEntry, OpenFailure> {
        let limits = SpoolEntry.Limits()
        do {
            let compressed = try FileSystem.read(directory + "/" + name.entryFile, maxBytes: limits.maxFileBytes)
            let signature = try FileSystem.read(directory + "/" + name.signatureFile, maxBytes: limits.maxSignatureBytes)
            return openEntry(compressed: compressed, signature: signature, trust: trust, limits: limits).mapError {
                OpenFailure(code: $0.code, message: $0.description)
            }
        } catch {
            return .failure(OpenFailure(code: .unreadable, message: "\(error)"))
        }
    }

    private static func openEntry(compressed: [UInt8], signature: [UInt8], trust: any SignerTrust, limits: SpoolEntry.Limits) -> Result<
        SpoolEntry, EntryProblem
    > {
        do {
            return .success(try SpoolEntry.open(compressed: compressed, signatureText: signature, trust: trust, limits: limits))
        } catch {
            return .failure(error)
        }
    }

    /// The request an entry records (docs/PROTOCOL.md), built by the contract's client half.
    static func request(_ contract: EntryRequest, endpoint: URL) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: contract.url(endpoint: endpoint.absoluteString))
        request.method = .init(rawValue: contract.method)
        for header in contract.headers { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: contract.body))
        return request
    }

    /// The message of a JSON error answer (`{"error":{"message":…}}`), else the start of the body.
    static func errorMessage(_ body: String) -> String? {
        if let data = body.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let error = object["error"] as? [String: Any], let message = error["message"] as? String
        {
            let code = error["code"] as? String
            return code.map { "\($0): \(message)" } ?? message
        }
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : String(trimmed.prefix(200))
    }
}

/// The request and its answer took longer than `--timeout`.
struct RequestTimeLimit: Error, CustomStringConvertible {
    var seconds: TimeInterval
    var description: String { "no complete answer within \(seconds) s (--timeout)" }
}

struct OpenFailure: Error {
    var code: ProblemCode
    var message: String
}

public struct UploadError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
