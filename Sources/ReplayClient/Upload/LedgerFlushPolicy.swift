import Foundation

/// When attempt records are committed to the ledger: in batches, so that a busy upload does not
/// pay a transaction per request, but at least every quarter second, before waiting idle for a
/// retry, and at the end, so that a killed uploader loses little and never a delivery it knew of
/// for long.
struct LedgerFlushPolicy {
    static let maxPending = 512
    static let maxDelay: TimeInterval = 0.25

    let ledger: Ledger
    private var pending: [Ledger.AttemptRecord] = []
    private var lastFlush = Date()

    init(ledger: Ledger) { self.ledger = ledger }

    /// Keeps `record`, committing the batch when it is large or old enough.
    mutating func add(_ record: Ledger.AttemptRecord) throws {
        pending.append(record)
        if pending.count >= Self.maxPending || Date().timeIntervalSince(lastFlush) > Self.maxDelay { try flush() }
    }

    /// Commits what is pending now.
    mutating func flush() throws {
        try ledger.record(pending)
        pending.removeAll(keepingCapacity: true)
        lastFlush = Date()
    }
}
