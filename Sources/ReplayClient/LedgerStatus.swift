import Foundation
import GRDB
import SequenceDatabase
import SpoolFormat
import SpoolProtocol

/// What `uploader status` shows: counts by state, the next retry, the latest errors, and per
/// installation the highest sequence seen and the missing ranges across every upload.
public struct LedgerStatus: Codable, Sendable {
    public typealias Range = SequenceRange

    public struct Installation: Codable, Sendable {
        public var installation: String
        public var highestSequence: Int64
        public var entries: Int
        public var delivered: Int
        /// Sequences between 1 and `highestSequence` never seen in a valid entry, and not declared
        /// removed by a tombstone.
        public var missing: [Range]
        /// Sequences that tombstones declare removed on purpose (spool limits).
        public var lost: [Range]
    }

    public struct Failure: Codable, Sendable {
        public var at: String
        public var file: String
        public var status: Int?
        public var error: String?
    }

    public struct Held: Codable, Sendable {
        public var file: String
        public var state: String
        public var attempts: Int
        public var reason: String
    }

    public var ledger: String
    public var counts: [String: Int]
    public var nextRetry: String?
    public var latestErrors: [Failure]
    public var installations: [Installation]
    /// Rejected (dead letter) and quarantined entries, with their reasons.
    public var held: [Held]
}

extension Ledger {
    public func status(latestErrors limit: Int = 10) throws -> LedgerStatus {
        try read { db in
            // The counts the ledger keeps (LedgerCounts); a ledger not migrated yet, read as it
            // is, counts its entries here instead.
            let kept = try db.tableExists("entryCount")
            let countRows = kept ? "entryCount" : "(SELECT installation, state, COUNT(*) AS entries FROM entry GROUP BY installation, state)"
            let heldRows =
                kept
                ? "heldSequence"
                : "(SELECT installation, COUNT(DISTINCT CASE WHEN state != 'quarantined' THEN sequence END) AS sequences FROM entry GROUP BY installation)"
            var counts = Dictionary(uniqueKeysWithValues: LedgerEntryState.allCases.map { ($0.rawValue, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, SUM(entries) AS n FROM \(countRows) GROUP BY state") {
                counts[row["state"]] = row["n"]
            }
            let next = try Double.fetchOne(db, sql: "SELECT MIN(nextAttempt) FROM entry WHERE state = 'retrying'")
            let failures = try Row.fetchAll(
                db,
                sql: """
                    SELECT attempt.at, entry.file, attempt.status, attempt.error FROM attempt JOIN entry ON entry.id = attempt.entry
                    WHERE attempt.status IS NULL OR attempt.status NOT BETWEEN 200 AND 299
                    ORDER BY attempt.id DESC LIMIT ?
                    """, arguments: [limit]
            ).map {
                LedgerStatus.Failure(at: Self.timestamp($0["at"]), file: $0["file"], status: $0["status"], error: $0["error"])
            }
            var lost: [String: [LedgerStatus.Range]] = [:]
            for loss in try Row.fetchAll(db, sql: "SELECT installation, first, last FROM declaredLoss ORDER BY installation, first") {
                lost[loss["installation"], default: []].append(.init(first: loss["first"], last: loss["last"]))
            }
            let installations = try Row.fetchAll(
                db,
                sql: """
                    SELECT installation, SUM(entries) AS entries, SUM(CASE WHEN state = 'delivered' THEN entries ELSE 0 END) AS delivered,
                           (SELECT sequences FROM \(heldRows) AS held WHERE held.installation = counted.installation) AS held
                    FROM \(countRows) AS counted GROUP BY installation HAVING SUM(entries) > 0 ORDER BY installation
                    """
            ).map { row -> LedgerStatus.Installation in
                let installation: String = row["installation"]
                let declared = lost[installation] ?? []
                return .init(
                    installation: installation,
                    highestSequence: try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM entry WHERE installation = ?", arguments: [installation]) ?? 0,
                    entries: row["entries"], delivered: row["delivered"],
                    missing: SequenceRange.subtract(declared, from: try Self.missing(db, installation: installation, held: row["held"] ?? 0)),
                    lost: declared)
            }
            let held = try Row.fetchAll(
                db,
                sql: """
                    SELECT file, state, attempts, reason FROM entry WHERE state IN ('rejected', 'quarantined') ORDER BY installation, sequence
                    """
            ).map { LedgerStatus.Held(file: $0["file"], state: $0["state"], attempts: $0["attempts"], reason: $0["reason"] ?? "") }
            return LedgerStatus(
                ledger: path, counts: counts, nextRetry: next.map(Self.timestamp), latestErrors: failures,
                installations: installations, held: held)
        }
    }

    /// The ranges of sequences from 1 an installation never had outside quarantine. When the
    /// distinct sequences held fill the span from the lowest to the highest, only the range below
    /// the lowest is missing; otherwise the gaps query passes over that installation's entries.
    static func missing(_ db: Database, installation: String, held: Int64) throws -> [LedgerStatus.Range] {
        func end(_ order: String) throws -> Int64? {
            try Int64.fetchOne(
                db, sql: "SELECT sequence FROM entry WHERE installation = ? AND state != 'quarantined' ORDER BY sequence \(order) LIMIT 1",
                arguments: [installation])
        }
        guard held > 0, let lowest = try end("ASC"), let highest = try end("DESC") else { return [] }
        if held == highest - lowest + 1 {
            return lowest > 1 ? [.init(first: 1, last: UInt64(lowest - 1))] : []
        }
        // No DISTINCT: a sequence held twice (a fork) follows itself and makes no gap, and
        // sorting out duplicates was most of the time of a status of a large ledger.
        return try Row.fetchAll(
            db,
            sql: SequenceSchema.gapsQuery(over: "(SELECT installation, sequence FROM entry WHERE state != 'quarantined' AND installation = ?)"),
            arguments: [installation]
        ).map { .init(first: $0["first"], last: $0["last"]) }
    }

    static func timestamp(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(.iso8601)
    }
}

extension LedgerStatus {
    /// The status as text for people.
    public var text: String {
        var lines = ["ledger \(ledger)"]
        for state in LedgerEntryState.allCases {
            lines.append("  \(state.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))\(counts[state.rawValue] ?? 0)")
        }
        lines.append("next retry: \(nextRetry ?? "none")")
        if !installations.isEmpty {
            lines.append("installations:")
            for item in installations {
                func list(_ ranges: [Range]) -> String {
                    ranges.isEmpty ? "none" : ranges.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)...\($0.last)" }.joined(separator: ", ")
                }
                lines.append(
                    "  \(item.installation): highest sequence \(item.highestSequence), \(item.entries) entries, \(item.delivered) delivered, missing \(list(item.missing))"
                        + (item.lost.isEmpty ? "" : ", removed by spool limits \(list(item.lost))"))
            }
        }
        if !held.isEmpty {
            lines.append("rejected and quarantined:")
            for item in held {
                let how = item.state == LedgerEntryState.quarantined.rawValue ? "quarantined, never sent" : "rejected after \(item.attempts) attempt(s)"
                lines.append("  \(item.file): \(how): \(item.reason)")
            }
        }
        if !latestErrors.isEmpty {
            lines.append("latest errors:")
            for failure in latestErrors {
                lines.append(
                    "  \(failure.at) \(failure.file): " + [failure.status.map { "HTTP \($0)" }, failure.error].compactMap { $0 }.joined(separator: " "))
            }
        }
        return lines.joined(separator: "\n")
    }
}
