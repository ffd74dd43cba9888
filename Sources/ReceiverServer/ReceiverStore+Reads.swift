import Foundation
import GRDB

/// The reads of the dashboard and the NDJSON export, on the SQLite store.
extension ReceiverStore: ReportStore {
    private static let columns = "id, digest, installation, sequence, kind, productVersion, created, receivedAt, duplicates, body"

    public func latestReports() async throws -> [ReceiverServer.StoredReport] {
        try await pool.read { db in
            // The (installation, sequence) unique index answers the inner query.
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.columns) FROM report AS r
                    WHERE kind = 'report'
                      AND sequence = (SELECT MAX(sequence) FROM report WHERE installation = r.installation AND kind = 'report')
                    ORDER BY installation
                    """
            ).map(Self.storedReport)
        }
    }

    public func reports(installation: String?, receivedSince since: Double?, after: Int64, limit: Int) async throws
        -> [ReceiverServer.StoredReport]
    {
        try await pool.read { db in
            var conditions = ["id > ?"]
            var arguments: StatementArguments = [after]
            if let installation {
                conditions.append("installation = ?")
                _ = arguments.append(contentsOf: [installation])
            }
            if let since {
                conditions.append("receivedAt >= ?")
                _ = arguments.append(contentsOf: [since])
            }
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.columns) FROM report WHERE \(conditions.joined(separator: " AND ")) ORDER BY id LIMIT ?",
                arguments: arguments
            ).map(Self.storedReport)
        }
    }

    private static func storedReport(_ row: Row) -> ReceiverServer.StoredReport {
        ReceiverServer.StoredReport(
            id: row["id"], digest: row["digest"], installation: row["installation"], sequence: row["sequence"], kind: row["kind"],
            productVersion: row["productVersion"], created: row["created"], receivedAt: row["receivedAt"], duplicates: row["duplicates"],
            body: [UInt8](row["body"] as Data))
    }
}
