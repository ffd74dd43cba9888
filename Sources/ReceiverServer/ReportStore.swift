/// What the receiver needs from a store; SQLiteReportStore and PostgresReportStore implement it.
public protocol ReportStore: Sendable {
    func store(_ entries: [ReceivedEntry], pinKeys: Bool) async throws -> [StoreOutcome]
    func summary() async throws -> ReceiverSummary
    /// The newest report (kind "report", not tombstones) of each installation, by sequence, in installation order.
    func latestReports() async throws -> [StoredReport]
    /// Stored entries (reports and tombstones) in store order (`id` ascending) with `id > after`,
    /// optionally of one installation and received at or after `since` (seconds since 1970),
    /// at most `limit`: the NDJSON export pages through these.
    func reports(installation: String?, receivedSince since: Double?, after: Int64, limit: Int) async throws -> [StoredReport]
}
