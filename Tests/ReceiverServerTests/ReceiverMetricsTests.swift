import Foundation
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
        func poolUse() async -> StorePoolUse { StorePoolUse(inUse: 3, idle: 5) }
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
        #expect(pooled.contains(#"receiver_store_pool_connections{state="idle"} 5.0"#), "\(pooled)")
    }
}
