import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SpoolFormat
import SpoolProtocol
import SpoolStore

/// What `uploader upload` is told.
public struct UploadOptions: Sendable {
    /// The endpoint's base URL; each entry's recorded path is appended.
    public var endpoint: URL
    public var concurrency: Int
    /// Stop when the next attempt is further away than this; the ledger keeps the rest.
    public var maxWait: TimeInterval
    public var policy: RetryPolicy
    public var http: HTTPSettings
    /// Verified entries up to this many bytes are kept in memory and sent as verified; the rest
    /// are read and verified again just before sending.
    public var keepBytes: Int
    /// Send rejected entries (dead letters) again, from a fresh attempt count.
    public var retryRejected = false

    public init(endpoint: URL, concurrency: Int = 8, maxWait: TimeInterval = 60, policy: RetryPolicy = RetryPolicy(), http: HTTPSettings = HTTPSettings(),
                keepBytes: Int = 256 << 20) {
        self.keepBytes = keepBytes
        self.endpoint = endpoint
        self.concurrency = concurrency
        self.maxWait = maxWait
        self.policy = policy
        self.http = http
    }
}

/// What an upload run came to.
public struct UploadSummary: Codable, Sendable, Equatable {
    /// Entries in the spool.
    public var entries = 0
    /// Delivered in this run: stored now (201) or found already stored (200).
    public var delivered = 0
    public var duplicates = 0
    /// Delivered by an earlier run: not sent again.
    public var alreadyDelivered = 0
    /// Rejected (dead letter), in this run or before.
    public var rejected = 0
    /// Failed verification: never sent.
    public var quarantined = 0
    /// Still to deliver: the next attempt is further away than --max-wait.
    public var waiting = 0
    /// Requests sent in this run.
    public var requests = 0
    public var seconds = 0.0
    /// Until the spool was verified and recorded in the ledger (sending overlaps it).
    public var scanSeconds = 0.0
    /// Until the spool was verified.
    public var verifySeconds = 0.0
    public var nextAttempt: String?

    /// Entries delivered in this run, per second.
    public var rate: Double { seconds > 0 ? Double(delivered) / seconds : 0 }
    public var isComplete: Bool { waiting == 0 && rejected == 0 && quarantined == 0 }
}

/// Replays a spool's entries to the endpoint, with the ledger deciding what still needs sending.
///
/// Each entry is verified, with the whole spool's checks (`SpoolScan`), before it is sent, and
/// what is sent is exactly what was verified: the verified entry kept in memory, or, beyond the memory
/// budget, the entry read and verified again just before its request is built (a file changed
/// in between is quarantined, not sent).
public final class Uploader {
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
    /// (registered in the ledger first), so sending starts while the rest of the spool is still
    /// being verified. Quarantined entries are recorded when verification ends.
    /// - Parameter progress: told about every outcome (for a progress bar).
    public func run(directory: String, trust: TrustSource, progress: (any UploadProgress)? = nil) async throws -> (UploadSummary, SpoolScan) {
        let start = Date()
        var summary = UploadSummary()
        let inbox = ScanInbox()
        let ledger = self.ledger, options = self.options
        let pinKeys: Bool
        if case .firstUse = trust { pinKeys = true } else { pinKeys = false }
        let scanThread = Thread {
            var batch: [SpoolScan.Accepted] = []
            var pins: [String: SSHPublicKey] = [:]
            func handOver() throws {
                guard !batch.isEmpty else { return }
                inbox.add(try ledger.register(accepted: batch, pins: pins, now: start, retryRejected: options.retryRejected))
                batch.removeAll(keepingCapacity: true)
                pins.removeAll()
            }
            do {
                let scan = try SpoolScan.run(directory: directory, trust: trust, keepBytes: options.keepBytes) { accepted in
                    batch.append(accepted)
                    if pinKeys { pins[accepted.name.installation] = accepted.key }
                    if batch.count >= 256 { try handOver() }
                }
                try handOver()
                let verified = Date()
                let quarantined = try ledger.register(quarantined: scan.quarantined, declaredLosses: scan.report.declaredLosses, now: start)
                inbox.finish(.success((scan, quarantined, verified)))
            } catch {
                inbox.finish(.failure(error))
            }
        }
        scanThread.stackSize = 8 << 20
        scanThread.start()

        let client = try options.http.makeClient(endpoint: options.endpoint, concurrency: options.concurrency)
        var queue = WorkQueue([])
        var pending: [Ledger.AttemptRecord] = []
        var lastFlush = Date()
        var finished: (scan: SpoolScan, quarantined: Int, verified: Date)?
        var scanned = start
        do {
            try await withThrowingTaskGroup(of: (Ledger.Work, Ledger.AttemptRecord).self) { group in
                var inFlight = 0
                while true {
                    if finished == nil {
                        let (registrations, result) = inbox.take()
                        for registration in registrations {
                            summary.alreadyDelivered += registration.alreadyDelivered
                            summary.rejected += registration.alreadyRejected
                            summary.quarantined += registration.quarantined
                            for work in registration.work { queue.push(work) }
                            progress?.discovered(registration.work.count)
                        }
                        if let result {
                            let done = try result.get()
                            finished = done
                            summary.quarantined += done.quarantined
                            summary.entries = done.scan.report.entries
                            scanned = Date()
                        }
                    }
                    let now = Date()
                    while inFlight < options.concurrency, let next = queue.peek, next.due <= now {
                        let work = queue.pop()!
                        group.addTask { await self.attempt(work, client: client, directory: directory, trust: trust) }
                        inFlight += 1
                    }
                    if inFlight == 0 {
                        if finished == nil {
                            // Nothing to send until verification hands over more.
                            try await Task.sleep(for: .milliseconds(2))
                            continue
                        }
                        guard let next = queue.peek else { break }
                        let wait = next.due.timeIntervalSince(Date())
                        if wait > options.maxWait {
                            summary.nextAttempt = next.due.formatted(.iso8601)
                            break
                        }
                        try ledger.record(pending)
                        pending.removeAll(keepingCapacity: true)
                        lastFlush = Date()
                        if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000) + 1)) }
                        continue
                    }
                    guard let (work, record) = try await group.next() else { break }
                    inFlight -= 1
                    if record.sent { summary.requests += 1 }
                    switch record.state {
                    case .delivered:
                        summary.delivered += 1
                        if record.status == 200 { summary.duplicates += 1 }
                    case .rejected:
                        summary.rejected += 1
                    case .quarantined:
                        summary.quarantined += 1
                    case .retrying, .pending:
                        var again = work
                        again.attempts += 1
                        again.due = record.nextAttempt ?? Date()
                        queue.push(again)
                    }
                    pending.append(record)
                    progress?.finished(record)
                    if pending.count >= 512 || Date().timeIntervalSince(lastFlush) > 0.25 {
                        try ledger.record(pending)
                        pending.removeAll(keepingCapacity: true)
                        lastFlush = Date()
                    }
                }
            }
            try ledger.record(pending)
        } catch {
            try? ledger.record(pending)
            try? await client.shutdown()
            // Let verification end before the ledger goes away.
            while inbox.isRunning { try? await Task.sleep(for: .milliseconds(5)) }
            throw error
        }
        try await client.shutdown()
        guard let finished else { throw UploadError("verification ended without a result") }
        summary.waiting = queue.count
        summary.seconds = Date().timeIntervalSince(start)
        summary.scanSeconds = scanned.timeIntervalSince(start)
        summary.verifySeconds = finished.verified.timeIntervalSince(start)
        return (summary, finished.scan)
    }

    /// One attempt: re-read and re-verify the entry, send it, classify the answer.
    func attempt(_ work: Ledger.Work, client: HTTPClient, directory: String, trust: TrustSource) async -> (Ledger.Work, Ledger.AttemptRecord) {
        let started = Date()
        func record(_ state: LedgerEntryState, status: Int? = nil, error: String? = nil, next: Date? = nil, reason: String? = nil, sent: Bool = true) -> (Ledger.Work, Ledger.AttemptRecord) {
            (work, Ledger.AttemptRecord(entry: work.id, at: started, status: status, error: error, latency: Date().timeIntervalSince(started),
                                        state: state, nextAttempt: next, reason: reason, sent: sent))
        }
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
            switch Self.open(work.name, in: directory, trust: recheck) {
            case .success(let opened): entry = opened
            case .failure(let problem):
                return record(.quarantined, reason: "\(problem.code): \(problem.message) (checked again before sending)", sent: false)
            }
        }
        guard entry.digest == work.digest else {
            return record(.quarantined, reason: "\(ProblemCode.entryChanged): \(work.name.entryFile) now holds digest \(entry.digest), verified as \(work.digest); rescan before sending", sent: false)
        }
        let attempts = work.attempts + 1
        do {
            let response = try await client.execute(Self.request(for: entry, endpoint: options.endpoint),
                                                    timeout: .milliseconds(Int64(options.http.requestTimeout * 1000)))
            let status = Int(response.status.code)
            let body = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
            switch RetryPolicy.verdict(status: status) {
            case .delivered:
                return record(.delivered, status: status)
            case .permanent:
                let message = Self.errorMessage(body)
                return record(.rejected, status: status, error: message, reason: "HTTP \(status)" + (message.map { ": \($0)" } ?? ""))
            case .retry:
                let message = Self.errorMessage(body)
                if attempts >= options.policy.maxAttempts {
                    return record(.rejected, status: status, error: message, reason: "gave up after \(attempts) attempts; last: HTTP \(status)" + (message.map { ": \($0)" } ?? ""))
                }
                let delay = options.policy.delay(afterAttempts: attempts, status: status, retryAfter: response.headers.first(name: "Retry-After"))
                return record(.retrying, status: status, error: message, next: Date().addingTimeInterval(delay))
            }
        } catch {
            let message = Self.describe(error)
            if attempts >= options.policy.maxAttempts {
                return record(.rejected, error: message, reason: "gave up after \(attempts) attempts; last: \(message)")
            }
            return record(.retrying, error: message, next: Date().addingTimeInterval(options.policy.backoff(afterAttempts: attempts)))
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

    private static func openEntry(compressed: [UInt8], signature: [UInt8], trust: any SignerTrust, limits: SpoolEntry.Limits) -> Result<SpoolEntry, EntryProblem> {
        do {
            return .success(try SpoolEntry.open(compressed: compressed, signatureText: signature, trust: trust, limits: limits))
        } catch {
            return .failure(error)
        }
    }

    /// The request an entry records (docs/PROTOCOL.md), built by the contract's client half.
    public static func request(for entry: SpoolEntry, endpoint: URL) -> HTTPClientRequest {
        let contract = EntryRequest(entry: entry)
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
           let error = object["error"] as? [String: Any], let message = error["message"] as? String {
            let code = error["code"] as? String
            return code.map { "\($0): \(message)" } ?? message
        }
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : String(trimmed.prefix(200))
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "network: \(error.description)" }
        return "network: \(error)"
    }
}

struct OpenFailure: Error {
    var code: ProblemCode
    var message: String
}

/// Told about an upload as it goes.
public protocol UploadProgress: AnyObject {
    /// `count` more entries to send (verification hands them over batch by batch).
    func discovered(_ count: Int)
    func finished(_ record: Ledger.AttemptRecord)
}

public struct UploadError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Where the verification thread hands over registered batches, and its result, to the sender.
final class ScanInbox: @unchecked Sendable {
    typealias Result = Swift.Result<(scan: SpoolScan, quarantined: Int, verified: Date), any Error>
    private let lock = NSLock()
    private var registrations: [Ledger.Registration] = []
    private var result: Result?

    func add(_ registration: Ledger.Registration) {
        lock.lock()
        defer { lock.unlock() }
        registrations.append(registration)
    }

    func finish(_ result: Result) {
        lock.lock()
        defer { lock.unlock() }
        self.result = result
    }

    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return result == nil
    }

    /// Everything handed over since the last call, and the result once verification has ended.
    func take() -> ([Ledger.Registration], Result?) {
        lock.lock()
        defer { lock.unlock() }
        let taken = registrations
        registrations.removeAll()
        return (taken, result)
    }
}

/// The entries to send, earliest due first.
struct WorkQueue {
    private var heap: [Ledger.Work] = []

    init(_ work: [Ledger.Work]) {
        for item in work { push(item) }
    }

    var count: Int { heap.count }
    var peek: Ledger.Work? { heap.first }

    private static func before(_ a: Ledger.Work, _ b: Ledger.Work) -> Bool {
        (a.due, a.name) < (b.due, b.name)
    }

    mutating func push(_ item: Ledger.Work) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Ledger.Work? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, Self.before(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.before(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
