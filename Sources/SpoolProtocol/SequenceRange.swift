/// A closed range of sequence numbers, both ends included: what a tombstone declares dropped, and
/// what verifiers, ledgers and receivers report as missing or lost. Encoded as `{"first":…,"last":…}`.
public struct SequenceRange: Codable, Sendable, Equatable, Hashable {
    public var first: UInt64
    public var last: UInt64

    public init(first: UInt64, last: UInt64) {
        self.first = first
        self.last = last
    }

    /// The parts of `ranges` that none of `removed` covers: sequences missing without a declared loss.
    public static func subtract(_ removed: [SequenceRange], from ranges: [SequenceRange]) -> [SequenceRange] {
        var result = ranges
        for cut in removed {
            result = result.flatMap { range -> [SequenceRange] in
                guard cut.first <= range.last, cut.last >= range.first else { return [range] }
                var pieces: [SequenceRange] = []
                if range.first < cut.first { pieces.append(SequenceRange(first: range.first, last: cut.first - 1)) }
                if range.last > cut.last { pieces.append(SequenceRange(first: cut.last + 1, last: range.last)) }
                return pieces
            }
        }
        return result
    }
}

extension SequenceRange {
    public func contains(_ sequence: UInt64) -> Bool { first <= sequence && sequence <= last }
}

extension Array where Element == SequenceRange {
    /// Adds `sequence` to runs of sequences met in ascending order: the last run grows when
    /// `sequence` follows it, a new run starts otherwise.
    public mutating func appendRun(_ sequence: UInt64) {
        if let last, last.last + 1 == sequence {
            self[count - 1].last = sequence
        } else {
            append(SequenceRange(first: sequence, last: sequence))
        }
    }
}
