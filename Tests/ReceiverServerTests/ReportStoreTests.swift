import Crypto
import Foundation
import Logging
import PostgresNIO
import ReceiverServer
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

/// Both stores behind `ReportStore`, given the same batches: the same outcomes and the same reads.
@Suite("Report stores")
struct ReportStoreTests {
    let temp: TemporaryDirectory
    let key = Curve25519.Signing.PrivateKey()
    let installation = UUID().uuidString.lowercased()

    init() throws { temp = try TemporaryDirectory() }

    func entry(_ sequence: UInt64, body: String = #"{"users":1}"#, key: Curve25519.Signing.PrivateKey? = nil) throws -> ReceivedEntry {
        let signer = key ?? self.key
        let bytes = Array(body.utf8)
        let metadata = EntryMetadata(
            kind: .report, installation: installation, sequence: sequence, created: Date(), productVersion: "4.0.\(sequence)", schema: 1,
            previous: .genesis, key: SSHPublicKey(signer.publicKey).fingerprint, request: ReplayRequest(), body: bytes)
        return ReceivedEntry(entry: try SpoolEntry.make(metadata: metadata, body: bytes, signingKey: signer))
    }

    /// A PostgreSQL store on a new database of the test server, with its pool running for `body`.
    func withPostgresStore<T: Sendable>(_ body: @Sendable (PostgresReportStore) async throws -> T) async throws -> T {
        let location = try PostgresLocation(url: try await PostgresServer.shared().createDatabase())
        let store = try await PostgresReportStore(location, logger: Logger(label: "test"))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await store.client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(store)
        }
    }

    /// What a read returns that does not depend on when or in which order of ids it was stored.
    func content(_ reports: [StoredReport]) -> [String] {
        reports.map { "\($0.installation)/\($0.sequence) \($0.kind) \($0.digest) \($0.productVersion) \($0.created) \($0.duplicates) \($0.body)" }
    }

    @Test(.timeLimit(.minutes(2)))
    func bothEnginesStoreAndReadBackAlike() async throws {
        let one = try entry(1)
        let two = try entry(2)
        let three = try entry(3)
        let rival = try entry(2, body: #"{"users":2}"#)
        let impostor = try entry(4, key: Curve25519.Signing.PrivateKey())
        // A batch as group commit hands it over: a repeat of an entry in the same transaction too.
        let batch = [two, one, one, rival, impostor]
        let expected: [StoreOutcome] = [
            .stored, .stored, .duplicate, .conflict(existingDigest: two.digest), .foreignKey(pinnedFingerprint: one.keyFingerprint),
        ]
        let sqlite = try SQLiteReportStore(path: temp.file("store.sqlite"))
        #expect(try await sqlite.store(batch, pinKeys: true) == expected)
        #expect(try await sqlite.store([three, two], pinKeys: true) == [.stored, .duplicate])
        let since = Date().timeIntervalSince1970 - 60
        let reads = try await withPostgresStore { postgres in
            #expect(try await postgres.store(batch, pinKeys: true) == expected)
            #expect(try await postgres.store([three, two], pinKeys: true) == [.stored, .duplicate])
            // Paged through with the export cursor, two at a time.
            var paged: [StoredReport] = []
            while true {
                let page = try await postgres.reports(installation: nil, receivedSince: nil, after: paged.last?.id ?? 0, limit: 2)
                if page.isEmpty { break }
                paged += page
            }
            return (
                summary: try await postgres.summary(), latest: try await postgres.latestReports(), paged: paged,
                mine: try await postgres.reports(installation: installation, receivedSince: since, after: 0, limit: 10),
                others: try await postgres.reports(installation: "other", receivedSince: nil, after: 0, limit: 10),
                future: try await postgres.reports(installation: nil, receivedSince: since + 3_600, after: 0, limit: 10)
            )
        }
        #expect(reads.summary == (try await sqlite.summary()))
        #expect(content(reads.latest) == content(try await sqlite.latestReports()))
        #expect(reads.latest.map(\.sequence) == [3])
        let all = try await sqlite.reports(installation: nil, receivedSince: nil, after: 0, limit: 10)
        // Store order within one transaction is the engine's own (PostgreSQL's follows its lock order).
        #expect(content(reads.paged).sorted() == content(all).sorted())
        #expect(reads.paged.map(\.id) == reads.paged.map(\.id).sorted() && Set(reads.paged.map(\.id)).count == 3)
        #expect(all.map(\.sequence) == [2, 1, 3] && all.map(\.duplicates) == [1, 1, 0])
        #expect(content(reads.mine) == content(reads.paged))
        #expect(reads.others.isEmpty && reads.future.isEmpty)
        #expect(Set(reads.paged.map(\.body)) == Set([two.body, one.body, three.body]))
    }

    /// Receivers started at the same time on a new database migrate it once, without error.
    @Test(.timeLimit(.minutes(2)))
    func concurrentStartsMigrateOnce() async throws {
        let server = try await PostgresServer.shared()
        let url = try await server.createDatabase()
        let location = try PostgresLocation(url: url)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { _ = try await PostgresReportStore(location, logger: Logger(label: "test")) } }
            try await group.waitForAll()
        }
        #expect(try await server.psql(url, "SELECT version FROM schema_version ORDER BY version") == ["1", "2"])
    }

    @Test
    func readsPostgresURLs() throws {
        let full = try PostgresLocation(url: "postgres://alice:s%40cret@db.example:6543/telemetry?sslmode=require", environment: [:])
        #expect(full.host == "db.example" && full.port == 6543 && full.username == "alice" && full.password == "s@cret")
        #expect(full.database == "telemetry" && full.tls == .require)
        #expect(full.description == "postgres://alice@db.example:6543/telemetry")
        let fromEnvironment = try PostgresLocation(url: "postgresql://bob@127.0.0.1/spool", environment: ["PGPASSWORD": "pw"])
        #expect(fromEnvironment.password == "pw" && fromEnvironment.port == 5432 && fromEnvironment.tls == .prefer)
        for (url, reason) in [
            ("mysql://a@b/c", "the scheme is mysql"), ("postgres://b/c", "no user"), ("postgres://a@b", "no database"),
            ("postgres://a:hidden@b/c?sslmode=maybe", "sslmode must be one of"), ("postgres://a@b/c?user=x", "unknown parameter user"),
        ] {
            #expect {
                try PostgresLocation(url: url, environment: [:])
            } throws: { error in
                "\(error)".contains(reason) && !"\(error)".contains("hidden")
            }
        }
    }
}
