import Foundation
import SpoolFormat
import SpoolStore
import Testing

/// Random single changes to a clean spool: whichever change is made, verify must find it and
/// name a file it touched. A seeded generator makes every failure reproducible.
@Suite("Random tampering")
struct RandomTamperTests {
    enum Change: CaseIterable { case delete, deleteSignature, duplicate, swap, replaceWithOther, truncate, flipByte, appendByte }

    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("300 random single changes are each detected, naming a changed file", .timeLimit(.minutes(2)))
    func randomChanges() throws {
        let fixture = try SpoolFixture()
        let names = try fixture.append(8)
        let chain = try fixture.state.loadChain(installation: fixture.identity.installation)
        let fm = FileManager.default
        var generator = SeededGenerator(state: 20_261_125)
        for round in 0..<300 {
            let spool = fixture.root + "/round-\(round)"
            try fm.copyItem(atPath: fixture.spool, toPath: spool)
            defer { try? fm.removeItem(atPath: spool) }
            func path(_ file: String) -> String { spool + "/" + file }
            let target = names.randomElement(using: &generator)!
            let change = Change.allCases.randomElement(using: &generator)!
            var touched: Set<String> = [target.entryFile, target.signatureFile]
            switch change {
            case .delete:
                try fm.removeItem(atPath: path(target.entryFile))
                try fm.removeItem(atPath: path(target.signatureFile))
                // The loss shows at the next entry, or through the state for the newest.
                if target.sequence < 8 { touched.insert(names[Int(target.sequence)].entryFile) }
            case .deleteSignature:
                try fm.removeItem(atPath: path(target.signatureFile))
                if target.sequence < 8 { touched.insert(names[Int(target.sequence)].entryFile) }
            case .duplicate:
                let extra = EntryName(installation: target.installation, sequence: 9)
                try fm.copyItem(atPath: path(target.entryFile), toPath: path(extra.entryFile))
                try fm.copyItem(atPath: path(target.signatureFile), toPath: path(extra.signatureFile))
                touched = [extra.entryFile]
            case .swap, .replaceWithOther:
                var other = names.randomElement(using: &generator)!
                while other == target { other = names.randomElement(using: &generator)! }
                for file in [\EntryName.entryFile, \EntryName.signatureFile] {
                    let a = path(target[keyPath: file])
                    let b = path(other[keyPath: file])
                    if change == .swap {
                        try fm.moveItem(atPath: a, toPath: a + ".x")
                        try fm.moveItem(atPath: b, toPath: a)
                        try fm.moveItem(atPath: a + ".x", toPath: b)
                    } else {
                        try fm.removeItem(atPath: a)
                        try fm.copyItem(atPath: b, toPath: a)
                    }
                }
                touched.formUnion([other.entryFile, other.signatureFile])
            case .truncate, .flipByte, .appendByte:
                let file = Bool.random(using: &generator) ? target.entryFile : target.signatureFile
                var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(file))))
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch change {
                case .truncate: bytes.removeSubrange(position...)
                case .flipByte: bytes[position] ^= UInt8.random(in: 1...255, using: &generator)
                default: bytes.append(UInt8.random(in: 0...255, using: &generator))
                }
                try Data(bytes).write(to: URL(fileURLWithPath: path(file)))
            }
            let report = try SpoolVerifier(trust: fixture.identity.trust, expected: [chain]).verify(directory: spool)
            #expect(!report.isClean, "round \(round): \(change) of \(target.entryFile) went unnoticed")
            #expect(
                report.problems.contains { touched.contains($0.file) },
                "round \(round): \(change) of \(target.entryFile) reported elsewhere: \(report.problems)")
        }
    }
}
