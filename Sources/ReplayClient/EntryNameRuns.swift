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
        if let last = list.last, sequence <= last.last {
            // Out of order (a batch before an earlier one): rare, so a plain search is enough.
            if !list.contains(where: { $0.contains(sequence) }) { list.append(SequenceRange(first: sequence, last: sequence)) }
        } else {
            list.appendRun(sequence)
        }
    }

    func contains(_ name: EntryName) -> Bool {
        runs[name.installation]?.contains { $0.contains(name.sequence) } ?? false
    }
}
