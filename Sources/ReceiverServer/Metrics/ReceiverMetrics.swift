import Hummingbird
import Prometheus

/// The receiver's Prometheus metrics, served at `GET /metrics`.
///
/// Each application has a registry of its own (no process-wide metrics system), so receivers
/// built side by side in one process, as in the tests, count apart.
public final class ReceiverMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let ingestDuration: DurationHistogram
    let storedReports: Gauge
    let storedTombstones: Gauge
    let installations: Gauge
    let queueDepth: Gauge

    public init() {
        ingestDuration = registry.makeDurationHistogram(
            descriptor: Self.name("ingest_duration", unit: "seconds", "Time from an entry request's arrival to its answer."), labels: [],
            buckets: [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
            ])
        storedReports = registry.makeGauge(descriptor: Self.name("stored_reports", unit: "", "Reports in the store (all receivers of the database)."))
        storedTombstones = registry.makeGauge(
            descriptor: Self.name("stored_tombstones", unit: "", "Tombstones in the store (all receivers of the database)."))
        installations = registry.makeGauge(descriptor: Self.name("installations", unit: "", "Installations with a stored entry."))
        queueDepth = registry.makeGauge(
            descriptor: Self.name("store_queue_depth", unit: "", "Entries waiting for the next store transaction (group commit)."))
        // Present from the start, so a scrape shows zero rather than nothing.
        for operation in StoreOperation.allCases { _ = storeErrors(operation) }
    }

    static func name(_ metric: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "receiver", metricName: metric, unitName: unit, helpText: help)
    }

    /// Which part of the receiver answered: entry requests, pipelines of them, or the admin pages.
    enum Route: String { case entry, pipeline, admin }

    enum StoreOperation: String, CaseIterable { case write, read }

    /// Counts one answered request.
    func countRequest(_ route: Route, status: HTTPResponse.Status) {
        registry.makeCounter(
            descriptor: Self.name("requests", unit: "total", "Requests answered, by route (entry, pipeline or admin) and status."),
            labels: [("route", route.rawValue), ("status", String(status.code))]
        ).increment()
    }

    /// Counts a failed store operation.
    func countStoreError(_ operation: StoreOperation) { storeErrors(operation).increment() }

    private func storeErrors(_ operation: StoreOperation) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("store_errors", unit: "total", "Store operations that failed (answered 500), by operation."),
            labels: [("operation", operation.rawValue)])
    }

    /// The text exposition, with the store's gauges read now.
    ///
    /// - Parameters:
    ///   - store: counts stored entries (shared by every receiver of the database).
    ///   - queueDepth: the entries waiting for a store transaction in this receiver.
    func exposition(store: any ReportStore, queueDepth: Int) async throws -> [UInt8] {
        let summary = try await store.summary()
        storedReports.set(Double(summary.reports))
        storedTombstones.set(Double(summary.byInstallation.reduce(0) { $0 + $1.tombstones }))
        installations.set(Double(summary.installations))
        self.queueDepth.set(Double(queueDepth))
        if let pooled = store as? any StorePoolReporting {
            let use = await pooled.poolUse()
            registry.makeGauge(descriptor: Self.name("store_pool_connections", unit: "", "Store connections, by state."), labels: [("state", "in_use")])
                .set(Double(use.inUse))
            registry.makeGauge(descriptor: Self.name("store_pool_connections", unit: "", "Store connections, by state."), labels: [("state", "available")])
                .set(Double(use.available))
        }
        return registry.emitToBuffer()
    }
}
