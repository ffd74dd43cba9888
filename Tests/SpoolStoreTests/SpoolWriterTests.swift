import Foundation
import Logging
import SpoolFormat
import SpoolStore
import Testing

@Suite("Spool writing, recovery and keys")
struct SpoolWriterTests {
    @Test("leftovers of an interrupted write are removed and reported, and the chain continues")
    func recoversLeftovers() throws {
        let fixture = try SpoolFixture()
        try fixture.append(2)
        // What a crash between the two renames leaves: entry 3's .json.gz without its .sig, and a temporary.
        var writer: SpoolWriter? = try fixture.writer()
        let (entry, _) = try writer!.append(body: Array("{}\n".utf8), productVersion: "1.0", schema: 1)
        writer = nil  // releases the lock, as the crashed process would
        try FileManager.default.removeItem(atPath: fixture.path(entry.name.signatureFile))
        #expect(FileManager.default.createFile(atPath: fixture.path(".tmp-\(entry.name.signatureFile)-1a2b"), contents: Data("partial".utf8)))
        var chain = try fixture.state.loadChain(installation: fixture.identity.installation)
        chain.lastSequence = 2
        chain.lastDigest = try SpoolEntry.open(
            compressed: FileSystem.read(fixture.path(fixture.name(2).entryFile), maxBytes: 1 << 20),
            signatureText: FileSystem.read(fixture.path(fixture.name(2).signatureFile), maxBytes: 4096), trust: fixture.identity.trust
        ).digest
        try fixture.state.saveChain(chain)

        #expect(try fixture.verify().codes.sorted() == ["leftover_incomplete", "leftover_temporary"])
        let next = try fixture.writer()
        #expect(next.recovered.map(\.code.rawValue).sorted() == ["leftover_incomplete", "leftover_temporary"])
        let (third, _) = try next.append(body: Array("{}\n".utf8), productVersion: "1.0", schema: 1)
        #expect(third.metadata.sequence == 3)
        #expect(third.metadata.previous == chain.lastDigest)
        #expect(try fixture.verify().isClean)
    }

    @Test("entries committed after the state was last saved roll the state forward")
    func rollsForward() throws {
        let fixture = try SpoolFixture()
        try fixture.append(2)
        let saved = try fixture.state.loadChain(installation: fixture.identity.installation)
        try fixture.append(2)
        // A crash after the .sig was published but before the state was saved.
        try fixture.state.saveChain(saved)
        let writer = try fixture.writer()
        #expect(writer.chain.lastSequence == 4)
        let (entry, _) = try writer.append(body: Array("{}\n".utf8), productVersion: "1.0", schema: 1)
        #expect(entry.metadata.sequence == 5)
        #expect(try fixture.verify().isClean)
    }

    @Test("a second writer on the same spool is refused while the first holds the lock")
    func lock() throws {
        let fixture = try SpoolFixture()
        var first: SpoolWriter? = try fixture.writer()
        #expect(throws: SpoolLock.Busy.self) { try fixture.writer() }
        #expect(first != nil)
        first = nil
        _ = try fixture.writer()
    }

    @Test("an existing entry is never overwritten")
    func noOverwrite() throws {
        let fixture = try SpoolFixture()
        try fixture.append(1)
        let original = try fixture.files()
        let directory = try DurableDirectory(path: fixture.spool)
        let error = #expect(throws: FileSystemError.self) {
            try directory.publish(Array("x".utf8), as: fixture.name(1).entryFile)
        }
        #expect(error?.errno == EEXIST)
        #expect(try fixture.files() == original)
    }

    @Test("a state directory inside the spool is refused")
    func stateInsideSpool() throws {
        let fixture = try SpoolFixture()
        let inside = StateDirectory(path: fixture.spool + "/keys")
        #expect(throws: StateError.insideSpool(state: inside.path, spool: fixture.spool)) { try inside.checkOutside(spool: fixture.spool) }
        #expect(throws: StateError.self) { try StateDirectory(path: fixture.spool).checkOutside(spool: fixture.spool + "/") }
    }

    @Test("the private key is 0600; one readable by group or others is refused, naming the file and the fix")
    func keyPermissions() throws {
        let fixture = try SpoolFixture()
        let keyPath = fixture.state.path + "/" + StateDirectory.privateKeyFile
        #expect(FileSystem.mode(of: keyPath)! & 0o777 == 0o600)
        chmod(keyPath, 0o644)
        let error = #expect(throws: StateError.self) { try fixture.state.loadIdentity() }
        #expect(error?.description.contains(keyPath) == true)
        #expect(error?.description.contains("chmod 600 \(keyPath)") == true)
    }

    @Test("keygen refuses to replace an existing key without force, and force starts a new installation")
    func keygenForce() throws {
        let fixture = try SpoolFixture()
        #expect(throws: StateError.identityExists(fixture.state.path + "/" + StateDirectory.privateKeyFile)) { try fixture.state.createIdentity() }
        let replaced = try fixture.state.createIdentity(force: true)
        #expect(replaced.installation != fixture.identity.installation)
        #expect(try fixture.state.loadIdentity().installation == replaced.installation)
    }
}
