import Foundation
import Logging
import SpoolFormat
import SpoolStore
import Testing

@Suite("Spool verification")
struct SpoolVerifierTests {
    @Test("a freshly written spool verifies clean, with a rising sequence and linked chain")
    func cleanSpool() throws {
        let fixture = try SpoolFixture()
        let names = try fixture.append(5)
        #expect(names.map(\.sequence) == [1, 2, 3, 4, 5])
        let report = try fixture.verify()
        #expect(report.isClean, "\(report.problems)")
        #expect(report.entries == 5)
        #expect(report.installations == [.init(installation: fixture.identity.installation, entries: 5, firstSequence: 1, lastSequence: 5)])
    }

    @Test("a deleted middle entry is a sequence gap naming the entry after it")
    func deletedMiddle() throws {
        let fixture = try SpoolFixture()
        try fixture.append(5)
        try FileManager.default.removeItem(atPath: fixture.path(fixture.name(3).entryFile))
        try FileManager.default.removeItem(atPath: fixture.path(fixture.name(3).signatureFile))
        let report = try fixture.verify()
        #expect(report.codes == ["sequence_gap"])
        #expect(report.problems.first?.file == fixture.name(4).entryFile)
    }

    @Test("a deleted newest entry is found through the state directory's record")
    func deletedNewest() throws {
        let fixture = try SpoolFixture()
        try fixture.append(3)
        try FileManager.default.removeItem(atPath: fixture.path(fixture.name(3).entryFile))
        try FileManager.default.removeItem(atPath: fixture.path(fixture.name(3).signatureFile))
        #expect(try fixture.verify().codes == ["entry_missing"])
        // Without the state, the chain alone cannot know: it is what a foreign verifier sees.
        #expect(try fixture.verify(withState: false).isClean)
    }

    @Test("a deleted .json.gz whose .sig remains is reported")
    func deletedEntryFileOnly() throws {
        let fixture = try SpoolFixture()
        try fixture.append(3)
        try FileManager.default.removeItem(atPath: fixture.path(fixture.name(2).entryFile))
        let report = try fixture.verify()
        // One verdict per sequence: the remaining .sig accounts for it, so it is no gap too.
        #expect(report.codes == ["entry_missing"])
        #expect(report.problems.map(\.file) == [fixture.name(2).signatureFile])
    }

    @Test("an entry duplicated under the next sequence's name is caught by its metadata")
    func duplicated() throws {
        let fixture = try SpoolFixture()
        try fixture.append(3)
        try FileManager.default.copyItem(atPath: fixture.path(fixture.name(2).entryFile), toPath: fixture.path(fixture.name(4).entryFile))
        try FileManager.default.copyItem(atPath: fixture.path(fixture.name(2).signatureFile), toPath: fixture.path(fixture.name(4).signatureFile))
        let report = try fixture.verify()
        #expect(report.codes == ["name_mismatch"])
        #expect(report.problems.first?.file == fixture.name(4).entryFile)
    }

    @Test("two swapped entries are both reported")
    func swapped() throws {
        let fixture = try SpoolFixture()
        try fixture.append(4)
        let fm = FileManager.default
        for suffix in [\EntryName.entryFile, \EntryName.signatureFile] {
            let a = fixture.path(fixture.name(2)[keyPath: suffix])
            let b = fixture.path(fixture.name(3)[keyPath: suffix])
            try fm.moveItem(atPath: a, toPath: a + ".x")
            try fm.moveItem(atPath: b, toPath: a)
            try fm.moveItem(atPath: a + ".x", toPath: b)
        }
        let report = try fixture.verify()
        #expect(report.codes == ["name_mismatch", "name_mismatch"])
        #expect(report.problems.map(\.file) == [fixture.name(2).entryFile, fixture.name(3).entryFile])
    }

    @Test("an entry replaced by another validly signed entry breaks the chain")
    func replaced() throws {
        let fixture = try SpoolFixture()
        try fixture.append(3)
        // Forge a different entry 2 with the installation's own key, linking entry 1 correctly.
        let first = try SpoolEntry.open(
            compressed: FileSystem.read(fixture.path(fixture.name(1).entryFile), maxBytes: 1 << 20),
            signatureText: FileSystem.read(fixture.path(fixture.name(1).signatureFile), maxBytes: 4096), trust: fixture.identity.trust)
        let body = Array(#"{"forged":true}"#.utf8)
        let metadata = EntryMetadata(
            kind: .report, installation: fixture.identity.installation, sequence: 2, created: Date(),
            productVersion: "2024.1.0", schema: 1, previous: first.digest,
            key: fixture.identity.publicKey.fingerprint, request: ReplayRequest(), body: body)
        let forged = try SpoolEntry.make(metadata: metadata, body: body, signingKey: fixture.identity.signingKey)
        try Data(try forged.compressedFile()).write(to: URL(fileURLWithPath: fixture.path(fixture.name(2).entryFile)))
        try Data(forged.signatureFile.utf8).write(to: URL(fileURLWithPath: fixture.path(fixture.name(2).signatureFile)))
        let report = try fixture.verify()
        #expect(report.codes == ["chain_broken"])
        #expect(report.problems.first?.file == fixture.name(3).entryFile)
    }

    @Test("an entry signed by a foreign key is rejected and named")
    func foreignKey() throws {
        let fixture = try SpoolFixture()
        let foreign = try SpoolFixture()
        try fixture.append(2)
        let names = try foreign.append(1)
        for file in [names[0].entryFile, names[0].signatureFile] {
            try FileManager.default.copyItem(atPath: foreign.path(file), toPath: fixture.path(file))
        }
        let report = try fixture.verify()
        #expect(report.codes == ["key_untrusted"])
        #expect(report.problems.first?.file == names[0].entryFile)
        // With an allowed_signers file naming both installations, both spools' entries verify.
        let signers = try AllowedSigners(
            text: [fixture, foreign].map {
                AllowedSigners.line(principal: $0.identity.installation, namespace: SpoolEntry.namespace, key: $0.identity.publicKey)
            }.joined(separator: "\n"))
        let both = try fixture.verify(trust: signers)
        #expect(both.isClean, "\(both.problems)")
        #expect(both.installations.count == 2)
    }

    @Test("a damaged entry is reported while every other entry is still checked")
    func damagedDoesNotStop() throws {
        let fixture = try SpoolFixture()
        try fixture.append(6)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: fixture.path(fixture.name(2).entryFile)))
        try Data().write(to: URL(fileURLWithPath: fixture.path(fixture.name(5).signatureFile)))
        let report = try fixture.verify()
        #expect(report.codes == ["gzip_invalid", "signature_malformed"])
        #expect(report.validEntries == 4)
        #expect(report.problems.map(\.file) == [fixture.name(2).entryFile, fixture.name(5).signatureFile])
    }

    @Test("verify changes nothing in the spool, whatever it finds")
    func readOnly() throws {
        let fixture = try SpoolFixture()
        try fixture.append(3)
        _ = FileManager.default.createFile(atPath: fixture.path(".tmp-leftover"), contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: fixture.path("notes.txt"), contents: Data("x".utf8))
        try FileManager.default.removeItem(atPath: fixture.path(fixture.name(3).signatureFile))
        let before = try fixture.files()
        let report = try fixture.verify()
        // Entry 3 is recorded as committed by the chain state: its missing .sig is damage, not a leftover.
        #expect(report.codes.sorted() == ["entry_missing", "leftover_temporary", "signature_missing", "stray_file"])
        #expect(try fixture.files() == before)
    }

    @Test("a symlinked entry file is refused, not followed")
    func symlink() throws {
        let fixture = try SpoolFixture()
        try fixture.append(2)
        let target = fixture.root + "/outside.json.gz"
        try FileManager.default.moveItem(atPath: fixture.path(fixture.name(2).entryFile), toPath: target)
        try FileManager.default.createSymbolicLink(atPath: fixture.path(fixture.name(2).entryFile), withDestinationPath: target)
        let report = try fixture.verify()
        #expect(report.codes.contains("stray_file"))
        #expect(!report.isClean)
    }
}
