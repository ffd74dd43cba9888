/// Where an entry stands in the ledger.
public enum LedgerEntryState: String, Codable, Sendable, CaseIterable {
    /// Seen, not tried yet.
    case pending
    /// Tried and failed in a way worth retrying; `nextAttempt` says when.
    case retrying
    /// Acknowledged by the endpoint (201 stored or 200 duplicate).
    case delivered
    /// Dead letter: refused permanently, or failed `maxAttempts` times. The reason is kept.
    case rejected
    /// Failed verification: never sent. The reason is kept.
    case quarantined
}
