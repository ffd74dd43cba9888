import Foundation
import GRDB
import SequenceDatabase
import SpoolFormat
import SpoolProtocol

/// An entry that passed verification, ready to store.
public struct ReceivedEntry: Sendable {
    public var digest: String
    public var installation: String
    public var sequence: Int64
    public var kind: String
    public var productVersion: String
    public var created: String
    public var keyFingerprint: String
    public var publicKey: String
    public var metadataLine: [UInt8]
    public var body: [UInt8]
    public var signature: [UInt8]
    /// For a tombstone: its body, declaring the sequences removed on purpose (docs/PAYLOAD.md).
    public var tombstone: TombstoneBody?

    public init(entry: SpoolEntry) {
        digest = entry.digest.description
        installation = entry.metadata.installation
        sequence = Int64(entry.metadata.sequence)
        kind = entry.metadata.kind.rawValue
        productVersion = entry.metadata.productVersion
        created = entry.metadata.created
        keyFingerprint = entry.signature.publicKey.fingerprint
        publicKey = entry.signature.publicKey.openSSHLine()
        metadataLine = entry.metadataLine
        body = entry.body
        signature = entry.signature.blob
        // The same parser and checks as a spool verifier's; the reader refuses a tombstone it rejects.
        if entry.metadata.kind == .tombstone { tombstone = TombstoneBody.decode(entry.body, entry: entry.metadata) }
    }
}

/// What storing an entry came to.
public enum StoreOutcome: Sendable, Equatable {
    /// Stored now (201).
    case stored
    /// The same digest was stored before (200).
    case duplicate
    /// The installation and sequence are stored with another digest (409).
    case conflict(existingDigest: String)
    /// Trust on first use: the installation is pinned to another key (403).
    case foreignKey(pinnedFingerprint: String)
}

/// The receiver's SQLite database (GRDB, WAL, `synchronous = FULL`): stored reports and, under
/// trust on first use, the key pinned per installation.
///
/// An answer of 201 or 200 is given only after the transaction holding the entry has committed
/// and its WAL frames are synced, so an acknowledged entry survives a crash of the receiver.
public final class ReceiverStore: Sendable {
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

    /// One stored report, as tests and tools read it back.
    public struct StoredReport: Sendable, Equatable {
        public var digest: String
        public var installation: String
        public var sequence: Int64
        public var duplicates: Int
        public var body: [UInt8]
    }

    public func reports() throws -> [StoredReport] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT digest, installation, sequence, duplicates, body FROM report ORDER BY installation, sequence").map {
                StoredReport(
                    digest: $0["digest"], installation: $0["installation"], sequence: $0["sequence"],
                    duplicates: $0["duplicates"], body: [UInt8]($0["body"] as Data))
            }
        }
    }

    public func summary() async throws -> ReceiverSummary {
        try await pool.read { db in
            var summary = ReceiverSummary()
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT installation, SUM(kind = 'report') AS reports, SUM(kind = 'tombstone') AS tombstones,
                           MIN(sequence) AS first, MAX(sequence) AS last,
                           (SELECT productVersion FROM report AS latest WHERE latest.installation = report.installation
                            ORDER BY sequence DESC LIMIT 1) AS latestVersion
                    FROM report GROUP BY installation ORDER BY installation
                    """)
            let gaps = try Row.fetchAll(
                db,
                sql: SequenceSchema.gapsQuery(over: "report"))
            var missing: [String: [ReceiverSummary.Range]] = [:]
            for gap in gaps {
                missing[gap["installation"], default: []].append(.init(first: gap["first"], last: gap["last"]))
            }
            var lost: [String: [ReceiverSummary.Range]] = [:]
            for loss in try Row.fetchAll(db, sql: "SELECT installation, first, last FROM declaredLoss ORDER BY installation, first") {
                lost[loss["installation"], default: []].append(.init(first: loss["first"], last: loss["last"]))
            }
            for row in rows {
                let installation: String = row["installation"]
                let absent = missing[installation] ?? []
                let notDeclared = SequenceRange.subtract(lost[installation] ?? [], from: absent)
                // Lost: the absent sequences some tombstone declares, merged; a stored entry is never lost.
                summary.byInstallation.append(
                    .init(
                        installation: installation, latestVersion: row["latestVersion"], reports: row["reports"], tombstones: row["tombstones"],
                        firstSequence: row["first"], lastSequence: row["last"],
                        missing: notDeclared, lost: SequenceRange.subtract(notDeclared, from: absent)))
                summary.reports += row["reports"] as Int
            }
            summary.installations = rows.count
            return summary
        }
    }
}

/// The answer to `GET /summary`.
public struct ReceiverSummary: Codable, Sendable, Equatable {
    public typealias Range = SequenceRange

    public struct Installation: Codable, Sendable, Equatable {
        public var installation: String
        public var latestVersion: String
        /// Reports stored (tombstones not counted).
        public var reports: Int
        public var tombstones: Int
        public var firstSequence: Int64
        public var lastSequence: Int64
        /// Sequences absent between 1 and `lastSequence` that no tombstone declares removed.
        public var missing: [Range]
        /// Sequences that tombstones declare removed on purpose (spool limits): not waited for.
        public var lost: [Range]
    }

    /// Entry requests answered since the receiver started, by status code.
    public struct Requests: Codable, Sendable, Equatable {
        public var total: Int = 0
        public var byStatus: [String: Int] = [:]
        /// Connections closed by fault injection (`--drop-rate`).
        public var dropped: Int = 0
        /// Requests whose client went away before the body was complete.
        public var abandoned: Int = 0
    }

    public var installations: Int = 0
    /// Reports stored, over all installations (tombstones not counted).
    public var reports: Int = 0
    public var byInstallation: [Installation] = []
    public var requests = Requests()

    public init() {}
}
