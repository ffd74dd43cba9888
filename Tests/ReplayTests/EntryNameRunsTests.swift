import SpoolFormat
import Testing

@testable import ReplayClient

@Suite("Entry name runs")
struct EntryNameRunsTests {
    let installation = "b58572c3-faca-420c-8df7-178ea2d410b2"

    func name(_ sequence: UInt64, _ installation: String? = nil) -> EntryName {
        EntryName(installation: installation ?? self.installation, sequence: sequence)
    }

    @Test("names in order, with gaps, out of order and of two installations: each one found, no other")
    func holdsExactlyWhatWasInserted() {
        var runs = EntryNameRuns()
        let other = "00000000-0000-4000-8000-000000000000"
        let inserted: [EntryName] = [1, 2, 3, 7, 8, 20, 5, 2].map { name($0) } + [name(4, other)]
        for item in inserted { runs.insert(item) }
        for sequence in UInt64(0)...25 {
            #expect(runs.contains(name(sequence)) == [1, 2, 3, 5, 7, 8, 20].contains(sequence), "\(sequence)")
            #expect(runs.contains(name(sequence, other)) == (sequence == 4), "\(sequence)")
        }
    }
}
