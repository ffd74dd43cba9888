import Foundation
import Mustache
import SpoolProtocol

/// `GET /`: the dashboard, rendered on the server from the store's summary and the latest report
/// of each installation.
struct DashboardPage {
    struct Installation {
        var installation: String
        var version: String
        var lastCreated: String
        var lastReceived: String
        var reports: Int
        var tombstones: Int
        var missing: String
        var lost: String
    }

    struct Family {
        var id: String
        var key: String
        var summary: String
        var hasChart: Bool
        var chart: BarChart
    }

    var installationCount: Int
    var reportCount: Int
    var generated: String
    var hasInstallations: Bool
    var installations: [Installation]
    var versions: BarChart
    var families: [Family]

    private static let library: MustacheLibrary = {
        do {
            return MustacheLibrary(templates: [
                "page": try MustacheTemplate(string: DashboardTemplates.page),
                "chart": try MustacheTemplate(string: DashboardTemplates.chart),
            ])
        } catch {
            // The templates are constants: a parse error is a bug the tests catch at once.
            preconditionFailure("dashboard template: \(error)")
        }
    }()

    init(summary: ReceiverSummary, latest: [StoredReport], now: Date = Date()) {
        let latestByInstallation = Dictionary(latest.map { ($0.installation, $0) }, uniquingKeysWith: { $1 })
        installationCount = summary.installations
        reportCount = summary.reports
        generated = Self.time(now.timeIntervalSince1970)
        hasInstallations = !summary.byInstallation.isEmpty
        installations = summary.byInstallation.map { row in
            let report = latestByInstallation[row.installation]
            return Installation(
                installation: row.installation, version: row.latestVersion, lastCreated: report?.created ?? "none",
                lastReceived: report.map { Self.time($0.receivedAt) } ?? "none", reports: row.reports, tombstones: row.tombstones,
                missing: Self.ranges(row.missing), lost: Self.ranges(row.lost))
        }
        var byVersion: [String: Int] = [:]
        for row in summary.byInstallation { byVersion[row.latestVersion, default: 0] += 1 }
        versions = BarChart(
            id: "chart-versions", title: "Installations by latest product version",
            items: Self.largestFirst(byVersion).map { ($0.key, Double($0.value), "\($0.value)") })
        let total = latest.count
        families = MetricFamilyAggregate.aggregate(bodies: latest.map(\.body)).enumerated().map { index, family in
            Self.family(family, id: "family-\(index + 1)", installations: total)
        }
    }

    func render() -> String {
        Self.library.render(self, withTemplate: "page") ?? ""
    }

    private static func family(_ family: MetricFamilyAggregate, id: String, installations: Int) -> Family {
        let reporting = "in the latest report of \(family.reporting) of \(installations) installations"
        var items: [(label: String, size: Double, value: String)] = []
        let summary: String
        switch family.aggregate {
        case .sum(let total, let count):
            let mean = count > 0 ? total / Double(count) : 0
            summary = "sum \(BarChart.format(total)), mean \(BarChart.format(mean)); \(reporting)"
        case .shares(let shares):
            let counted = shares.values.reduce(0, +)
            items = largestFirst(shares).map { ($0.key, Double($0.value), "\($0.value) (\(percent($0.value, of: counted)))") }
            summary = "share of installations by value; \(reporting)"
        case .countsByKind(let sums):
            let sum = sums.values.reduce(0, +)
            items = largestFirst(sums).map { ($0.key, Double($0.value), "\($0.value) (\(percent($0.value, of: sum)))") }
            summary = "sums by kind, \(sum) in all; \(reporting)"
        case .other:
            summary = "values of no aggregated shape; \(reporting)"
        }
        return Family(
            id: id, key: family.key, summary: summary, hasChart: !items.isEmpty,
            chart: BarChart(id: "\(id)-chart", title: family.key, items: items))
    }

    private static func largestFirst<Value: BinaryInteger>(_ counts: [String: Value]) -> [(key: String, value: Value)] {
        counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    }

    private static func percent(_ part: some BinaryInteger, of whole: some BinaryInteger) -> String {
        whole == 0 ? "0%" : "\(Int((Double(part) / Double(whole) * 100).rounded()))%"
    }

    private static func ranges(_ ranges: [SequenceRange]) -> String {
        ranges.isEmpty ? "none" : ranges.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)–\($0.last)" }.joined(separator: ", ")
    }

    private static func time(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
