import SequenceDatabase
import SpoolProtocol

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

extension ReceiverSummary {
    /// One installation's stored entries in total, as both engines read them (`ReportQueries.totals`).
    struct Totals {
        var installation: String
        var latestVersion: String
        var reports: Int
        var tombstones: Int
        var first: Int64
        var last: Int64
    }

    /// The summary of what a store holds, from its rows: one assembly for both engines, so their
    /// answers cannot differ.
    /// - Parameters:
    ///   - totals: one row per installation.
    ///   - gaps: the sequence ranges absent below each installation's highest (`ReportQueries.gaps`).
    ///   - losses: the ranges tombstones declare removed.
    init(totals: [Totals], gaps: [(installation: String, range: Range)], losses: [(installation: String, range: Range)]) {
        self.init()
        let missing = Dictionary(grouping: gaps, by: \.installation).mapValues { $0.map(\.range).sorted { $0.first < $1.first } }
        let lost = Dictionary(grouping: losses, by: \.installation).mapValues { $0.map(\.range).sorted { $0.first < $1.first } }
        // Sorted here, not by the database: each engine's collation would order names its own way.
        for row in totals.sorted(by: { $0.installation.utf8.lexicographicallyPrecedes($1.installation.utf8) }) {
            let absent = missing[row.installation] ?? []
            let notDeclared = SequenceRange.subtract(lost[row.installation] ?? [], from: absent)
            // Lost: the absent sequences some tombstone declares, merged; a stored entry is never lost.
            byInstallation.append(
                .init(
                    installation: row.installation, latestVersion: row.latestVersion, reports: row.reports, tombstones: row.tombstones,
                    firstSequence: row.first, lastSequence: row.last,
                    missing: notDeclared, lost: SequenceRange.subtract(notDeclared, from: absent)))
            reports += row.reports
        }
        installations = totals.count
    }
}

/// The queries both engines run as they are (standard SQL that SQLite and PostgreSQL read alike).
enum ReportQueries {
    /// `installation, reports, tombstones, first, last, latestVersion` per installation.
    static let totals = """
        SELECT installation, COUNT(*) FILTER (WHERE kind = 'report') AS reports,
               COUNT(*) FILTER (WHERE kind = 'tombstone') AS tombstones,
               MIN(sequence) AS first, MAX(sequence) AS last,
               (SELECT productVersion FROM report AS latest WHERE latest.installation = report.installation
                ORDER BY sequence DESC LIMIT 1) AS latestVersion
        FROM report GROUP BY installation
        """

    /// `installation, first, last` of the absent ranges.
    static let gaps = SequenceSchema.gapsQuery(over: "report")

    /// `installation, first, last` of the declared losses.
    static let losses = "SELECT installation, first, last FROM declaredLoss"

    /// The columns of a `StoredReport`, in its order.
    static let storedColumns = "id, digest, installation, sequence, kind, productVersion, created, receivedAt, duplicates, body"

    /// The newest report of each installation.
    static let latestReports = """
        SELECT \(storedColumns) FROM report AS newest
        WHERE kind = 'report' AND sequence = (
            SELECT MAX(sequence) FROM report AS other WHERE other.installation = newest.installation AND other.kind = 'report')
        ORDER BY installation
        """
}
