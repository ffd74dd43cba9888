import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import ReceiverServer

/// The pool-use hook of `GET /metrics`: a store that reports its pool gets the pool gauges.
@Suite("Receiver metrics")
struct ReceiverMetricsTests {
    /// The SQLite store, reporting a pool as a pooled engine would.
    struct PooledStore: ReportStore, StorePoolReporting {
        let store: SQLiteReportStore
        func store(_ entries: [ReceivedEntry], pinKeys: Bool) async throws -> [StoreOutcome] { try await store.store(entries, pinKeys: pinKeys) }
        func summary() async throws -> ReceiverSummary { try await store.summary() }
        func latestReports() async throws -> [StoredReport] { try await store.latestReports() }
        func reports(installation: String?, receivedSince since: Double?, after: Int64, limit: Int) async throws -> [StoredReport] {
            try await store.reports(installation: installation, receivedSince: since, after: after, limit: limit)
        }
        func poolUse() async -> StorePoolUse { StorePoolUse(inUse: 3, available: 5) }
    }

    @Test(.timeLimit(.minutes(1)))
    func aPooledStoreReportsItsConnections() async throws {
        let temp = try TemporaryDirectory()
        let store = try SQLiteReportStore(path: temp.file("r.sqlite"))
        let plain = String(decoding: try await ReceiverMetrics().exposition(store: store, queueDepth: 2), as: UTF8.self)
        #expect(plain.contains("receiver_store_queue_depth 2.0\n"))
        #expect(!plain.contains("receiver_store_pool_connections"), "SQLite has no pool to show")
        let pooled = String(decoding: try await ReceiverMetrics().exposition(store: PooledStore(store: store), queueDepth: 0), as: UTF8.self)
        #expect(pooled.contains(#"receiver_store_pool_connections{state="in_use"} 3.0"#), "\(pooled)")
        #expect(pooled.contains(#"receiver_store_pool_connections{state="available"} 5.0"#), "\(pooled)")
    }

    /// The PostgreSQL store counts the operations holding a pool connection: none between requests.
    @Test(.timeLimit(.minutes(2)))
    func thePostgresStoreReportsItsPool() async throws {
        let location = try PostgresLocation(url: try await PostgresServer.shared().createDatabase())
        let store = try await PostgresReportStore(location, logger: Logger(label: "test"), maximumConnections: 6)
        let plain = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                await store.client.run()
                return nil
            }
            defer { group.cancelAll() }
            _ = try await store.summary()
            return try await ReceiverMetrics().exposition(store: store, queueDepth: 0)
        }
        let text = String(decoding: plain, as: UTF8.self)
        #expect(await store.poolUse() == StorePoolUse(inUse: 0, available: 6))
        #expect(text.contains(#"receiver_store_pool_connections{state="in_use"} 0.0"#), "\(text)")
        #expect(text.contains(#"receiver_store_pool_connections{state="available"} 6.0"#), "\(text)")
    }
}
