import Foundation
import SpoolProtocol

/// What `uploader upload` is told.
public struct UploadOptions: Sendable {
    /// The endpoint's base URL; each entry's recorded path is appended.
    public var endpoint: URL
    /// Requests in flight at most.
    public var concurrency: Int
    /// Entries per request: 1 sends each entry in a request of its own (docs/PROTOCOL.md, section
    /// 1); more sends pipelines of up to this many (section 7), to endpoints that take them.
    public var entriesPerRequest = 1
    /// The most entries a pipeline may hold (a receiver refuses more).
    public static let maxEntriesPerRequest = EntryPipeline.maxEntries
    /// The most entries in flight (requests in flight times entries per request): each is held
    /// in memory until its answer is in.
    public static let maxEntriesInFlight = 16_384
    /// Stop when the next attempt is further away than this; the ledger keeps the rest.
    public var maxWait: TimeInterval
    public var policy: RetryPolicy
    public var http: HTTPSettings
    /// Verified entries waiting to be sent take at most this many bytes of memory (``SendBudget``).
    public var keepBytes: Int
    /// Send rejected entries (dead letters) again, from a fresh attempt count.
    public var retryRejected = false
    /// Send every entry still to deliver now, ignoring the backoff schedule and Retry-After.
    public var ignoreSchedule = false
    /// Told each failure as it happens, once per cause, and each entry rejected or quarantined.
    public var report: (@Sendable (String) -> Void)?

    public init(
        endpoint: URL, concurrency: Int = 64, maxWait: TimeInterval = 60, policy: RetryPolicy = RetryPolicy(), http: HTTPSettings = HTTPSettings(),
        keepBytes: Int = 4 << 20
    ) {
        self.keepBytes = keepBytes
        self.endpoint = endpoint
        self.concurrency = concurrency
        self.maxWait = maxWait
        self.policy = policy
        self.http = http
    }
}
