import Foundation
import SpoolProtocol
import Testing

@testable import ReceiverServer

/// The dashboard's page and aggregates, from store answers made by hand.
@Suite("Dashboard page")
struct DashboardTests {
    func summary(_ rows: [(installation: String, version: String, reports: Int, missing: [SequenceRange], lost: [SequenceRange])]) -> ReceiverSummary {
        var summary = ReceiverSummary()
        summary.byInstallation = rows.map {
            .init(
                installation: $0.installation, latestVersion: $0.version, reports: $0.reports, tombstones: 0, firstSequence: 1,
                lastSequence: Int64($0.reports), missing: $0.missing, lost: $0.lost)
        }
        summary.installations = rows.count
        summary.reports = rows.reduce(0) { $0 + $1.reports }
        return summary
    }

    func report(_ installation: String, _ body: String, receivedAt: Double = 1_795_680_000) -> StoredReport {
        StoredReport(
            id: 1, digest: "d", installation: installation, sequence: 1, kind: "report", productVersion: "1", created: "2026-11-26T08:00:00Z",
            receivedAt: receivedAt, duplicates: 0, body: Array(body.utf8))
    }

    @Test
    func textFromReportsIsEscaped() {
        let page = DashboardPage(
            summary: summary([("<script>alert('id')</script>", "1.0<script>alert(1)</script>", 2, [], [])]),
            latest: [report("<script>alert('id')</script>", #"{"metrics":{"<img src=x>":"\"quoted\" & <i>"}}"#)]
        ).render()
        #expect(!page.contains("<script"))
        #expect(!page.contains("<img") && !page.contains("<i>"))
        #expect(page.contains("1.0&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;"))
        #expect(page.contains("&quot;quoted&quot; &amp; &lt;i&gt;"))
    }

    @Test
    func pageShowsInstallationsRangesAndVersions() {
        let page = DashboardPage(
            summary: summary([
                ("a", "2.0", 5, [.init(first: 3, last: 4)], [.init(first: 7, last: 7)]), ("b", "2.0", 1, [], []), ("c", "3.1", 1, [], []),
            ]),
            latest: [report("a", #"{"metrics":{}}"#, receivedAt: 1_795_680_000)]
        ).render()
        #expect(page.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(page.contains("<td><code>a</code></td><td>2.0</td><td class=\"time\">2026-11-26T08:00:00Z</td><td class=\"time\">2026-11-26T08:00:00Z</td>"))
        #expect(page.contains("<td>3–4</td><td>7</td>"))
        #expect(page.contains("<td><code>b</code></td><td>2.0</td><td class=\"time\">none</td><td class=\"time\">none</td>"))
        // Versions, largest first: 2.0 on two installations, 3.1 on one.
        let two = page.range(of: "<title>2.0: 2</title>")
        let one = page.range(of: "<title>3.1: 1</title>")
        #expect(two != nil && one != nil && two!.lowerBound < one!.lowerBound)
        #expect(page.contains("No report holds metrics yet."))
    }

    @Test
    func emptyStoreSaysSo() {
        let page = DashboardPage(summary: ReceiverSummary(), latest: []).render()
        #expect(page.contains("No entries stored yet."))
        #expect(page.contains("0 installations, 0 reports stored"))
    }

    @Test
    func familiesAggregateByTheShapeOfTheirValues() {
        let bodies = [
            #"{"metrics":{"users":10,"mean":0.5,"flag":true,"os":"debian","kinds":{"ssh":1,"k8s":2},"list":[1]}}"#,
            #"{"metrics":{"users":5,"mean":1.5,"flag":false,"os":"debian","kinds":{"ssh":3}}}"#,
            #"{"metrics":{"users":7,"flag":true,"os":"rhel"}}"#,
            #"{"metrics":{"users":"seven"}}"#,  // a producer's bug: reported, not aggregated
            "not json",
            #"{"type":"tombstone"}"#,
        ].map { Array($0.utf8) }
        let families = Dictionary(uniqueKeysWithValues: MetricFamilyAggregate.aggregate(bodies: bodies).map { ($0.key, $0) })
        #expect(families["users"] == .init(key: "users", aggregate: .sum(total: 22, reporting: 3), reporting: 4))
        #expect(families["mean"]?.aggregate == .sum(total: 2, reporting: 2))
        #expect(families["flag"]?.aggregate == .shares(["true": 2, "false": 1]))
        #expect(families["os"]?.aggregate == .shares(["debian": 2, "rhel": 1]))
        #expect(families["kinds"]?.aggregate == .countsByKind(["ssh": 4, "k8s": 2]))
        #expect(families["list"]?.aggregate == .other)
        #expect(families.count == 6)
    }

    @Test
    func chartsKeepTheLargestBarsAndSumTheRest() {
        let chart = BarChart(id: "c", title: "t", items: (1...20).reversed().map { ("v\($0)", Double($0), "\($0)") })
        #expect(chart.bars.count == BarChart.maxBars)
        #expect(chart.bars.first?.label == "v20" && chart.bars.first?.width == 133, "scaled to the largest bar, the others: 45")
        #expect(chart.bars.last?.label == "9 others" && chart.bars.last?.value == "45" && chart.bars.last?.width == 300)
        #expect(BarChart.format(2) == "2" && BarChart.format(0.1234) == "0.123")
    }
}
