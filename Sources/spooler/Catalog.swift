import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import TelemetryReport

extension SpoolerCommand {
    struct Catalog: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catalog",
            abstract: "List every metric a report may carry: key, type, the product version that introduced it.",
            discussion: "docs/PAYLOAD.md describes the types; docs/CONFIGURE.md how to choose each metric's source.")

        @Flag(help: "Print the catalog as JSON, with each vocabulary.")
        var json = false

        func run() throws {
            if json {
                print(try JSONOutput.encode(CatalogOutput()))
                return
            }
            let rows = [["metric", "type", "since", "what"]] + MetricCatalog.all.map { [$0.key, $0.type.name, $0.since, $0.summary] }
            let widths = (0..<3).map { column in rows.map { $0[column].count }.max()! }
            for (index, row) in rows.enumerated() {
                print((0..<3).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }.joined(separator: "  ") + "  " + row[3])
                if index == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "  " + String(repeating: "-", count: 4)) }
            }
            print("\n\(MetricCatalog.all.count) metrics, payload schema \(currentPayloadSchema). Vocabularies: spooler catalog --json")
        }
    }
}

/// The `--json` shape of the catalog.
struct CatalogOutput: Encodable {
    struct Metric: Encodable {
        var key: String
        var type: String
        var since: String
        var description: String
        var vocabulary: [String]?
        var hexDigits: Int?
        var maximum: Double?
        var source: String?
    }

    var schema = currentPayloadSchema
    var metrics: [Metric] = MetricCatalog.all.map { definition in
        var metric = Metric(
            key: definition.key, type: definition.type.name, since: definition.since, description: definition.summary,
            vocabulary: definition.type.vocabulary?.words, source: definition.probe.map { "probe:\($0.rawValue)" })
        switch definition.type {
        case .hash(_, let digits): metric.hexDigits = digits
        case .percent(let max): metric.maximum = max
        case .count, .countsByKind: metric.maximum = Double(definition.maxCount)
        case .bytes: metric.maximum = Double(MetricType.Limits.maxBytes)
        case .duration: metric.maximum = MetricType.Limits.maxDurationSeconds
        default: break
        }
        return metric
    }
}
