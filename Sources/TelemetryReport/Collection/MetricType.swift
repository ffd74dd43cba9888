/// The declared type of a metric: the only values the privacy guard lets through.
public enum MetricType: Equatable, Sendable {
    /// A whole number, 0 ... the metric's ``MetricDefinition/maxCount`` (at most ``Limits/maxCount``).
    case count
    /// A map from kind names of a fixed vocabulary to counts. Kinds with no items may be absent.
    case countsByKind(Vocabulary)
    case boolean
    /// Lowercase hexadecimal of exactly `hexDigits` digits (40 for SHA-1), computed by the
    /// privacy guard from the raw value the spooler read; never taken ready-made from a source.
    case hash(algorithm: String, hexDigits: Int)
    /// Seconds, 0 ... ``Limits/maxDurationSeconds``; fractions allowed.
    case duration
    /// A calendar day, `YYYY-MM-DD`, from 2000-01-01 to tomorrow.
    case date
    /// A percentage, 0 ... `max` (CPU of a process can pass 100 on several cores).
    case percent(max: Double)
    /// Bytes, 0 ... ``Limits/maxBytes``.
    case bytes
    /// One word of a fixed vocabulary.
    case vocabulary(Vocabulary)
    /// A release number: 1 to 3 numeric components, optionally `-alpha|beta|rc|pre` and a number.
    case version
    /// A lowercase UUID.
    case uuid

    public enum Limits {
        public static let maxCount: Int64 = 1_000_000_000_000
        public static let maxBytes: Int64 = 1 << 50
        public static let maxDurationSeconds: Double = 20 * 365.25 * 86_400
    }

    /// The name used in the catalog and in docs/PAYLOAD.md.
    public var name: String {
        switch self {
        case .count: return "count"
        case .countsByKind: return "counts_by_kind"
        case .boolean: return "boolean"
        case .hash(let algorithm, _): return "hash:\(algorithm)"
        case .duration: return "duration_seconds"
        case .date: return "date"
        case .percent: return "percent"
        case .bytes: return "bytes"
        case .vocabulary: return "vocabulary"
        case .version: return "version"
        case .uuid: return "uuid"
        }
    }

    public var vocabulary: Vocabulary? {
        switch self {
        case .countsByKind(let words), .vocabulary(let words): return words
        default: return nil
        }
    }
}

/// A fixed, ordered set of lowercase words.
public struct Vocabulary: Equatable, Sendable {
    public let words: [String]

    public init(_ words: [String]) { self.words = words }

    public func contains(_ word: String) -> Bool { words.contains(word) }
}
