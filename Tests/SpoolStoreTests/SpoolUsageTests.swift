import Foundation
import SpoolFormat
import SpoolProtocol
import SpoolStore
import Testing

/// The spool usage kept with the chain state: what the spool limits are checked against without
/// a listing. It must always match the spool, or be counted again from a listing.
@Suite("spool usage kept with the chain state")
struct SpoolUsageTests {
    /// Entries and bytes of the installation's entries, counted from the directory itself.
    func counted(_ fixture: SpoolFixture) throws -> (entries: Int, bytes: Int64) {
        let entries = try SpoolListing(directory: fixture.spool).entries
        let bytes = try entries.flatMap { [$0.entryFile, $0.signatureFile] }.reduce(Int64(0)) { total, file in
            total + ((try FileManager.default.attributesOfItem(atPath: fixture.path(file))[.size] as? NSNumber)?.int64Value ?? 0)
        }
        return (entries.count, bytes)
    }

    func saved(_ fixture: SpoolFixture) throws -> SpoolUsage? {
        try fixture.state.loadChain(installation: fixture.identity.installation).usage
    }

    @Test("appends and prunes keep the saved usage equal to the spool", .timeLimit(.minutes(1)))
    func followsAppendsAndPrunes() throws {
        let fixture = try SpoolFixture()
        try fixture.append(6)
        var usage = try #require(try saved(fixture))
        var spool = try counted(fixture)
        #expect(usage.entries == 6 && spool.entries == 6 && usage.bytes == spool.bytes)

        let writer = try fixture.writer()
        let tombstones = try writer.prune(limits: SpoolLimits(maxBytes: spool.bytes / 2), productVersion: "2024.1.0")
        #expect(tombstones.count == 1)
        usage = try #require(try saved(fixture))
        spool = try counted(fixture)
        #expect(usage.entries == spool.entries && usage.bytes == spool.bytes)
        #expect(usage.firstSequence == writer.chain.firstSequence)
        #expect(try fixture.verify().isClean)
    }

    @Test("a temporary left in a spool whose usage is saved is still found and removed", .timeLimit(.minutes(1)))
    func leftoverTemporaryIsFound() throws {
        let fixture = try SpoolFixture()
        try fixture.append(3)
        #expect(try saved(fixture) != nil)
        // What a crash in the middle of a publish leaves: the directory changed after the state was saved.
        #expect(FileManager.default.createFile(atPath: fixture.path(".tmp-x-1a2b"), contents: Data("partial".utf8)))
        let writer = try fixture.writer()
        #expect(writer.recovered.map(\.code.rawValue) == ["leftover_temporary"])
        let usage = try #require(try saved(fixture))
        let spool = try counted(fixture)
        #expect(usage.entries == 3 && usage.bytes == spool.bytes)
    }

    @Test("an entry removed by hand makes the spool counted again, and the byte limit still holds", .timeLimit(.minutes(1)))
    func handRemovalIsCounted() throws {
        let fixture = try SpoolFixture()
        try fixture.append(5)
        let removed = fixture.name(3)
        try FileManager.default.removeItem(atPath: fixture.path(removed.signatureFile))
        try FileManager.default.removeItem(atPath: fixture.path(removed.entryFile))
        let writer = try fixture.writer()
        #expect(writer.recovered.isEmpty)
        // A gap: the usage can no longer be kept by appends alone, so every prune lists the spool.
        #expect(writer.chain.usage == nil)
        let spool = try counted(fixture)
        let tombstones = try writer.prune(limits: SpoolLimits(maxBytes: spool.bytes - 1), productVersion: "2024.1.0")
        #expect(tombstones.first?.dropped.first == 1)
    }

    @Test("a chain state without a usage (an older version's) is counted from the spool", .timeLimit(.minutes(1)))
    func olderStateIsCounted() throws {
        let fixture = try SpoolFixture()
        try fixture.append(4)
        var chain = try fixture.state.loadChain(installation: fixture.identity.installation)
        chain.usage = nil
        try fixture.state.saveChain(chain)
        _ = try fixture.writer()
        let usage = try #require(try saved(fixture))
        let spool = try counted(fixture)
        #expect(usage.entries == 4 && usage.bytes == spool.bytes)
    }
}
