import Foundation

/// One metric family of the catalog, aggregated over the latest report of each installation.
///
/// The shape of the values decides the aggregate, as docs/PAYLOAD.md defines them: numbers
/// (counts, durations, percentages) are summed; booleans (feature flags) and strings (kinds of a
/// vocabulary) are shares of installations; objects of counts (`counts_by_kind`) are sums by kind.
struct MetricFamilyAggregate: Equatable {
    enum Aggregate: Equatable {
        /// Sum and count of the installations that reported a number.
        case sum(total: Double, reporting: Int)
        /// Installations per value (a flag's `true`/`false`, a kind's word).
        case shares([String: Int])
        /// Sums per kind over the installations' `counts_by_kind` objects.
        case countsByKind([String: Int64])
        /// Values of no shape above (nested arrays and such): counted, not aggregated.
        case other
    }

    var key: String
    var aggregate: Aggregate
    /// Installations whose latest report holds this metric.
    var reporting: Int

    /// Aggregates the `metrics` objects of report bodies; bodies that are not JSON objects, or
    /// lack `metrics`, add nothing (a tombstone is never a latest report).
    static func aggregate(bodies: [[UInt8]]) -> [MetricFamilyAggregate] {
        var families: [String: MetricFamilyAggregate] = [:]
        let decoder = JSONDecoder()
        for body in bodies {
            guard case .object(let report)? = try? decoder.decode(JSONValue.self, from: Data(body)),
                case .object(let metrics)? = report["metrics"]
            else { continue }
            for (key, value) in metrics {
                var family = families[key] ?? MetricFamilyAggregate(key: key, aggregate: Self.empty(for: value), reporting: 0)
                family.add(value)
                families[key] = family
            }
        }
        return families.values.sorted { $0.key < $1.key }
    }

    private static func empty(for value: JSONValue) -> Aggregate {
        switch value {
        case .integer, .number: .sum(total: 0, reporting: 0)
        case .bool, .string: .shares([:])
        case .object: .countsByKind([:])
        case .array, .null: .other
        }
    }

    /// Adds one installation's value; a value of another shape than the family's first (a
    /// producer's bug) is counted as reporting but not aggregated.
    private mutating func add(_ value: JSONValue) {
        reporting += 1
        switch (aggregate, value) {
        case (.sum(let total, let count), .integer(let number)):
            aggregate = .sum(total: total + Double(number), reporting: count + 1)
        case (.sum(let total, let count), .number(let number)):
            aggregate = .sum(total: total + number, reporting: count + 1)
        case (.shares(var shares), .bool(let flag)):
            shares[flag ? "true" : "false", default: 0] += 1
            aggregate = .shares(shares)
        case (.shares(var shares), .string(let word)):
            shares[word, default: 0] += 1
            aggregate = .shares(shares)
        case (.countsByKind(var sums), .object(let kinds)):
            for (kind, count) in kinds {
                if case .integer(let count) = count { sums[kind, default: 0] += count }
            }
            aggregate = .countsByKind(sums)
        default:
            break
        }
    }
}
