import SpoolFormat
import SpoolProtocol

/// A set of entry names kept as runs of consecutive sequences per installation. A scan meets the
/// names of a spool or batch in order, so 100,000 of them usually take one run instead of 100,000
/// set slots, and a name in order is added in constant time, gaps or not.
struct EntryNameRuns {
    private var runs: [String: [SequenceRange]] = [:]

    mutating func insert(_ name: EntryName) {
        Self.insert(name.sequence, into: &runs[name.installation, default: []])
    }

    private static func insert(_ sequence: UInt64, into list: inout [SequenceRange]) {
        if let last = list.last, sequence > last.last {
            if sequence == last.last + 1 { list[list.count - 1].last = sequence } else { list.append(SequenceRange(first: sequence, last: sequence)) }
        } else if !list.contains(where: { $0.first <= sequence && sequence <= $0.last }) {
            // Out of order (a batch before an earlier one): rare, so a plain search is enough.
            list.append(SequenceRange(first: sequence, last: sequence))
        }
    }

    func contains(_ name: EntryName) -> Bool {
        runs[name.installation]?.contains { $0.first <= name.sequence && name.sequence <= $0.last } ?? false
    }
}
