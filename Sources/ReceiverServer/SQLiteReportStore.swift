import Foundation
import GRDB
import SequenceDatabase
import SpoolFormat
import SpoolProtocol

/// The receiver's SQLite database (GRDB, WAL, `synchronous = FULL`): stored reports and, under
/// trust on first use, the key pinned per installation.
///
/// An answer of 201 or 200 is given only after the transaction holding the entry has committed
/// and its WAL frames are synced, so an acknowledged entry survives a crash of the receiver.
public final class SQLiteReportStore: ReportStore {
    public let path: String
    let pool: DatabasePool

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE report (
                        id INTEGER PRIMARY KEY,
                        digest TEXT NOT NULL UNIQUE,
                        installation TEXT NOT NULL,
                        sequence INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        productVersion TEXT NOT NULL,
                        created TEXT NOT NULL,
                        keyFingerprint TEXT NOT NULL,
                        metadata BLOB NOT NULL,
                        body BLOB NOT NULL,
                        signature BLOB NOT NULL,
                        receivedAt REAL NOT NULL,
                        duplicates INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (installation, sequence)
                    );
                    \(SequenceSchema.pinnedKeyTable)
                    """)
        }
        SequenceSchema.registerDeclaredLosses(in: &migrator)
        return migrator
    }

    /// Stores a batch of entries in one transaction; one outcome per entry, in order.
    ///
    /// - Parameter pinKeys: trust on first use: pin each installation's first key, refuse others.
    public func store(_ entries: [ReceivedEntry], pinKeys: Bool) async throws -> [StoreOutcome] {
        try await pool.write { db in
            let now = Date().timeIntervalSince1970
            var outcomes: [StoreOutcome] = []
            outcomes.reserveCapacity(entries.count)
            let byDigest = try db.cachedStatement(sql: "SELECT id FROM report WHERE digest = ?")
            let countDuplicate = try db.cachedStatement(sql: "UPDATE report SET duplicates = duplicates + 1 WHERE digest = ?")
            let pinned = try db.cachedStatement(sql: "SELECT fingerprint FROM pinnedKey WHERE installation = ?")
            let pin = try db.cachedStatement(sql: "INSERT INTO pinnedKey (installation, publicKey, fingerprint, pinnedAt) VALUES (?, ?, ?, ?)")
            let bySequence = try db.cachedStatement(sql: "SELECT digest FROM report WHERE installation = ? AND sequence = ?")
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO report (digest, installation, sequence, kind, productVersion, created, keyFingerprint,
                                        metadata, body, signature, receivedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for entry in entries {
                if try Int64.fetchOne(byDigest, arguments: [entry.digest]) != nil {
                    try countDuplicate.execute(arguments: [entry.digest])
                    outcomes.append(.duplicate)
                    continue
                }
                if pinKeys {
                    if let fingerprint = try String.fetchOne(pinned, arguments: [entry.installation]) {
                        if fingerprint != entry.keyFingerprint {
                            outcomes.append(.foreignKey(pinnedFingerprint: fingerprint))
                            continue
                        }
                    } else {
                        try pin.execute(arguments: [entry.installation, entry.publicKey, entry.keyFingerprint, now])
                    }
                }
                if let existing = try String.fetchOne(bySequence, arguments: [entry.installation, entry.sequence]) {
                    outcomes.append(.conflict(existingDigest: existing))
                    continue
                }
                try insert.execute(arguments: [
                    entry.digest, entry.installation, entry.sequence, entry.kind, entry.productVersion, entry.created,
                    entry.keyFingerprint, Data(entry.metadataLine), Data(entry.body), Data(entry.signature), now,
                ])
                if let tombstone = entry.tombstone {
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO declaredLoss (installation, tombstone, first, last, reason) VALUES (?, ?, ?, ?, ?)",
                        arguments: [
                            entry.installation, entry.sequence, Int64(tombstone.dropped.first), Int64(tombstone.dropped.last),
                            tombstone.reason.rawValue,
                        ])
                }
                outcomes.append(.stored)
            }
            return outcomes
        }
    }

    public func summary() async throws -> ReceiverSummary {
        try await pool.read { db in
            let totals = try Row.fetchAll(db, sql: ReportQueries.totals).map {
                ReceiverSummary.Totals(
                    installation: $0["installation"], latestVersion: $0["latestVersion"], reports: $0["reports"],
                    tombstones: $0["tombstones"], first: $0["first"], last: $0["last"])
            }
            let gaps = try Row.fetchAll(db, sql: ReportQueries.gaps).map { ($0["installation"] as String, SequenceRange(first: $0["first"], last: $0["last"])) }
            let losses = try Row.fetchAll(db, sql: ReportQueries.losses).map {
                ($0["installation"] as String, SequenceRange(first: $0["first"], last: $0["last"]))
            }
            return ReceiverSummary(totals: totals, gaps: gaps, losses: losses)
        }
    }

    public func latestReports() async throws -> [StoredReport] {
        try await pool.read { db in try Row.fetchAll(db, sql: ReportQueries.latestReports).map(Self.storedReport) }
    }

    public func reports(installation: String?, receivedSince since: Double?, after: Int64, limit: Int) async throws -> [StoredReport] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(ReportQueries.storedColumns) FROM report
                    WHERE id > ? AND (? IS NULL OR installation = ?) AND (? IS NULL OR receivedAt >= ?)
                    ORDER BY id LIMIT ?
                    """,
                arguments: [after, installation, installation, since, since, limit]
            ).map(Self.storedReport)
        }
    }

    private static func storedReport(_ row: Row) -> StoredReport {
        StoredReport(
            id: row["id"], digest: row["digest"], installation: row["installation"], sequence: row["sequence"], kind: row["kind"],
            productVersion: row["productVersion"], created: row["created"], receivedAt: row["receivedAt"], duplicates: row["duplicates"],
            body: [UInt8](row["body"] as Data))
    }
}
