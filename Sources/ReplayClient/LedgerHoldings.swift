import GRDB
import SpoolFormat
import SpoolProtocol

/// What the ledger already holds of each installation's chain, for checking a new spool or batch
/// against it: where each chain reached, what tombstones declared lost, and which digest it
/// knows at a sequence. Quarantined rows do not count: they were never accepted.
public struct LedgerHoldings: Sendable {
    /// Installation → the highest sequence the ledger holds an accepted entry (or declared loss) for.
    public var highest: [String: UInt64] = [:]
    /// Installation → the ranges tombstones declared removed.
    public var declaredLosses: [String: [SequenceRange]] = [:]
    private let ledger: Ledger?

    /// Nothing held: a scan without a ledger.
    public init() { ledger = nil }

    init(ledger: Ledger) throws {
        self.ledger = ledger
        try ledger.pool.read { db in
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT installation, max(sequence) AS last FROM entry
                    WHERE state != 'quarantined' AND digest IS NOT NULL GROUP BY installation
                    """)
            {
                highest[row["installation"]] = UInt64(row["last"] as Int64)
            }
            for row in try Row.fetchAll(db, sql: "SELECT installation, first, last FROM declaredLoss") {
                let installation: String = row["installation"]
                let range = SequenceRange(first: UInt64(row["first"] as Int64), last: UInt64(row["last"] as Int64))
                declaredLosses[installation, default: []].append(range)
            }
        }
    }

    /// The digests of accepted entries the ledger holds at `name`'s sequence (one, unless it already
    /// holds a fork). Asks the ledger only for sequences it can hold.
    public func digests(at name: EntryName) throws -> [EntryDigest] {
        guard let ledger, let last = highest[name.installation], name.sequence <= last else { return [] }
        return try ledger.pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT digest FROM entry WHERE installation = ? AND sequence = ? AND state != 'quarantined' AND digest IS NOT NULL
                    """, arguments: [name.installation, Int64(name.sequence)]
            ).compactMap(EntryDigest.init)
        }
    }
}

extension Ledger {
    /// A snapshot of what the ledger holds, taken before a scan.
    public func holdings() throws -> LedgerHoldings { try LedgerHoldings(ledger: self) }
}
