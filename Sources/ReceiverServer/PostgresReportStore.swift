import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import SequenceDatabase
import SpoolProtocol
import Synchronization

/// The receiver's store on PostgreSQL (PostgresNIO, a connection pool): the same tables and
/// answers as `SQLiteReportStore`, for several receivers sharing one database.
///
/// Exactly once across receivers is decided by the database's unique constraints (`digest`,
/// `(installation, sequence)`, the pinned key per installation) through `INSERT ... ON CONFLICT`,
/// never by anything a receiver remembers. An answer is given only after `COMMIT` returned, and
/// with `synchronous_commit` on (PostgreSQL's default) a committed entry is on disk.
public final class PostgresReportStore: ReportStore, StorePoolReporting {
    /// The pool; it works only while running (`run()`, e.g. as a service beside the HTTP server).
    public let client: PostgresClient
    let logger: Logger
    /// The pool's size, and the operations holding one of its connections now (`GET /metrics`:
    /// PostgresClient keeps its own counts private).
    let maximumConnections: Int
    private let leases = Atomic<Int>(0)

    /// Connects once to apply the migrations, then leaves the work to `client`'s pool.
    /// - Throws: when the database cannot be reached or migrated, naming it.
    public init(_ location: PostgresLocation, logger: Logger, maximumConnections: Int = 8) async throws {
        self.logger = logger
        let tls: PostgresConnection.Configuration.TLS
        switch location.tls {
        case .disable: tls = .disable
        case .prefer: tls = try .prefer(.init(configuration: .makeClientConfiguration()))
        case .require: tls = try .require(.init(configuration: .makeClientConfiguration()))
        }
        let connectionConfiguration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: tls)
        do {
            let connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
            do {
                try await Self.migrate(connection, logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        } catch {
            throw PostgresLocationError(description: "cannot open the database \(location.description): \(PostgresErrorText.describe(error))")
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: Self.clientTLS(location.tls))
        configuration.options.maximumConnections = maximumConnections
        self.maximumConnections = maximumConnections
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    private static func clientTLS(_ mode: PostgresLocation.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    /// The schema, one version at a time; each step's statements run in the migrating transaction.
    static let migrations: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE report (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    digest TEXT NOT NULL UNIQUE,
                    installation TEXT NOT NULL,
                    sequence BIGINT NOT NULL,
                    kind TEXT NOT NULL,
                    productVersion TEXT NOT NULL,
                    created TEXT NOT NULL,
                    keyFingerprint TEXT NOT NULL,
                    metadata BYTEA NOT NULL,
                    body BYTEA NOT NULL,
                    signature BYTEA NOT NULL,
                    receivedAt DOUBLE PRECISION NOT NULL,
                    duplicates INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (installation, sequence)
                )
                """,
                """
                CREATE TABLE pinnedKey (
                    installation TEXT PRIMARY KEY,
                    publicKey TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    pinnedAt DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE declaredLoss (
                    installation TEXT NOT NULL,
                    tombstone BIGINT NOT NULL,
                    first BIGINT NOT NULL,
                    last BIGINT NOT NULL,
                    reason TEXT NOT NULL,
                    PRIMARY KEY (installation, tombstone)
                )
                """,
            ]
        ),
        (2, ["CREATE INDEX report_receivedAt ON report (receivedAt)"]),
    ]

    /// Applies the migrations not yet recorded in `schema_version`. Receivers starting at the same
    /// time take turns: the transaction holds an advisory lock until it commits.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            // Any constant both receivers agree on; "TSpl" in ASCII.
            try await connection.query("SELECT pg_advisory_xact_lock(1414754412)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, appliedAt DOUBLE PRECISION NOT NULL)", logger: logger)
            var applied = 0
            for try await version in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_version", logger: logger).decode(Int.self) {
                applied = version
            }
            for migration in migrations where migration.version > applied {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_version (version, appliedAt) VALUES (\(migration.version), \(Date().timeIntervalSince1970))", logger: logger)
            }
        }
    }

    /// Stores a batch of entries in one transaction; one outcome per entry, in order.
    ///
    /// Entries are handled in installation and sequence order, so that receivers storing
    /// overlapping batches take their locks in the same order; should PostgreSQL still report a
    /// deadlock or a serialization failure (two receivers given different entries at one
    /// sequence), the whole batch is tried again.
    public func store(_ entries: [ReceivedEntry], pinKeys: Bool) async throws -> [StoreOutcome] {
        // Entries at the same installation and sequence keep their order of arrival: the first one wins.
        let order = entries.indices.sorted { (entries[$0].installation, entries[$0].sequence, $0) < (entries[$1].installation, entries[$1].sequence, $1) }
        var attempt = 1
        while true {
            do {
                return try await leased {
                    try await client.withTransaction(logger: logger) { connection in
                        let now = Date().timeIntervalSince1970
                        var outcomes = [StoreOutcome](repeating: .stored, count: entries.count)
                        for index in order {
                            outcomes[index] = try await Self.store(entries[index], pinKeys: pinKeys, now: now, on: connection, logger: logger)
                        }
                        return outcomes
                    }
                }
            } catch let error where attempt < 5 && Self.isTransient(error) {
                logger.info("store transaction tried again", metadata: ["error": "\(String(reflecting: error))", "attempt": "\(attempt)"])
                attempt += 1
            }
        }
    }

    private static func store(
        _ entry: ReceivedEntry, pinKeys: Bool, now: Double, on connection: PostgresConnection, logger: Logger
    ) async throws -> StoreOutcome {
        func countDuplicate() async throws -> Bool {
            let rows = try await connection.query(
                "UPDATE report SET duplicates = duplicates + 1 WHERE digest = \(entry.digest) RETURNING id", logger: logger)
            return try await rows.collect().count > 0
        }
        if try await countDuplicate() { return .duplicate }
        if pinKeys {
            // Trust on first use, race-free across receivers: the first insert wins, everyone reads the winner.
            func pinned() async throws -> String? {
                let rows = try await connection.query("SELECT fingerprint FROM pinnedKey WHERE installation = \(entry.installation)", logger: logger)
                return try await rows.collect().first?.decode(String.self)
            }
            var fingerprint = try await pinned()
            if fingerprint == nil {
                try await connection.query(
                    """
                    INSERT INTO pinnedKey (installation, publicKey, fingerprint, pinnedAt)
                    VALUES (\(entry.installation), \(entry.publicKey), \(entry.keyFingerprint), \(now))
                    ON CONFLICT (installation) DO NOTHING
                    """, logger: logger)
                fingerprint = try await pinned()
            }
            if let fingerprint, fingerprint != entry.keyFingerprint { return .foreignKey(pinnedFingerprint: fingerprint) }
        }
        let inserted = try await connection.query(
            """
            INSERT INTO report (digest, installation, sequence, kind, productVersion, created, keyFingerprint,
                                metadata, body, signature, receivedAt)
            VALUES (\(entry.digest), \(entry.installation), \(entry.sequence), \(entry.kind), \(entry.productVersion), \(entry.created),
                    \(entry.keyFingerprint), \(ByteBuffer(bytes: entry.metadataLine)), \(ByteBuffer(bytes: entry.body)),
                    \(ByteBuffer(bytes: entry.signature)), \(now))
            ON CONFLICT DO NOTHING RETURNING id
            """, logger: logger)
        if try await inserted.collect().isEmpty {
            // Another receiver committed this digest, or another digest at this sequence, meanwhile.
            if try await countDuplicate() { return .duplicate }
            let rows = try await connection.query(
                "SELECT digest FROM report WHERE installation = \(entry.installation) AND sequence = \(entry.sequence)", logger: logger)
            guard let existing = try await rows.collect().first?.decode(String.self) else {
                throw PostgresLocationError(description: "the insert of \(entry.digest) was refused, yet no row holds its digest or sequence")
            }
            return .conflict(existingDigest: existing)
        }
        if let tombstone = entry.tombstone {
            try await connection.query(
                """
                INSERT INTO declaredLoss (installation, tombstone, first, last, reason)
                VALUES (\(entry.installation), \(entry.sequence), \(Int64(tombstone.dropped.first)), \(Int64(tombstone.dropped.last)),
                        \(tombstone.reason.rawValue))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        return .stored
    }

    /// A deadlock or serialization failure: the transaction was rolled back and may simply run again.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? PostgresTransactionError {
            return [error.closureError, error.commitError].contains { $0.map(isTransient) ?? false }
        }
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    public func summary() async throws -> ReceiverSummary {
        try await leased { try await summary(client) }
    }

    private func summary(_ client: PostgresClient) async throws -> ReceiverSummary {
        try await client.withTransaction(logger: logger) { connection in
            // One snapshot for the three queries, as SQLite's read transaction gives.
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            var totals: [ReceiverSummary.Totals] = []
            let totalRows = try await connection.query(PostgresQuery(unsafeSQL: ReportQueries.totals), logger: logger)
            for try await (installation, reports, tombstones, first, last, latestVersion) in totalRows.decode((String, Int, Int, Int64, Int64, String).self) {
                totals.append(
                    .init(installation: installation, latestVersion: latestVersion, reports: reports, tombstones: tombstones, first: first, last: last))
            }
            func ranges(_ sql: String) async throws -> [(installation: String, range: SequenceRange)] {
                var result: [(installation: String, range: SequenceRange)] = []
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                for try await (installation, first, last) in rows.decode((String, Int64, Int64).self) {
                    result.append((installation, SequenceRange(first: UInt64(first), last: UInt64(last))))
                }
                return result
            }
            let gaps = try await ranges(ReportQueries.gaps)
            let losses = try await ranges(ReportQueries.losses)
            return ReceiverSummary(totals: totals, gaps: gaps, losses: losses)
        }
    }

    public func latestReports() async throws -> [StoredReport] {
        try await leased { try await Self.storedReports(client.query(PostgresQuery(unsafeSQL: ReportQueries.latestReports), logger: logger)) }
    }

    public func reports(installation: String?, receivedSince since: Double?, after: Int64, limit: Int) async throws -> [StoredReport] {
        try await leased { try await reportsPage(installation: installation, since: since, after: after, limit: limit) }
    }

    private func reportsPage(installation: String?, since: Double?, after: Int64, limit: Int) async throws -> [StoredReport] {
        try await Self.storedReports(
            client.query(
                """
                SELECT \(unescaped: ReportQueries.storedColumns) FROM report
                WHERE id > \(after) AND (\(installation)::TEXT IS NULL OR installation = \(installation))
                  AND (\(since)::DOUBLE PRECISION IS NULL OR receivedAt >= \(since))
                ORDER BY id LIMIT \(Int64(limit))
                """, logger: logger))
    }

    private static func storedReports(_ rows: PostgresRowSequence) async throws -> [StoredReport] {
        var reports: [StoredReport] = []
        for try await row in rows {
            let (id, digest, installation, sequence, kind, productVersion, created, receivedAt, duplicates, body) = try row.decode(
                (Int64, String, String, Int64, String, String, String, Double, Int, ByteBuffer).self)
            reports.append(
                StoredReport(
                    id: id, digest: digest, installation: installation, sequence: sequence, kind: kind, productVersion: productVersion,
                    created: created, receivedAt: receivedAt, duplicates: duplicates, body: Array(buffer: body)))
        }
        return reports
    }

    /// Connections of the pool in use, and the rest of its capacity (the pool opens them as needed).
    public func poolUse() async -> StorePoolUse {
        let inUse = min(leases.load(ordering: .relaxed), maximumConnections)
        return StorePoolUse(inUse: inUse, available: maximumConnections - inUse)
    }

    /// Runs `body`, which holds one of the pool's connections, counted for `poolUse()`.
    private func leased<T>(_ body: () async throws -> T) async throws -> T {
        leases.add(1, ordering: .relaxed)
        defer { leases.subtract(1, ordering: .relaxed) }
        return try await body()
    }
}
