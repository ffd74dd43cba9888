import Foundation
import Logging
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TestSupport
import Testing

@Suite("Spool limits and tombstones")
struct SpoolLimitTests {
    let work: TemporaryDirectory
    let state: StateDirectory
    let spool: String
    let identity: StateDirectory.Identity

    init() throws {
        work = try TemporaryDirectory("limits")
        state = StateDirectory(path: work.file("state"))
        spool = work.file("Spool")
        try FileSystem.makeDirectory(spool, permissions: 0o755)
        identity = try state.createIdentity()
    }

    func writer() throws -> SpoolWriter {
        try SpoolWriter(spool: spool, state: state, identity: identity, logger: Logger(label: "test"))
    }

    func body(_ n: Int) -> [UInt8] { Array("{\"n\":\(n),\"pad\":\"\(String(repeating: "x", count: 200))\"}\n".utf8) }

    func verify(withState: Bool = true) throws -> SpoolVerifier.Report {
        let expected = withState ? [try state.loadChain(installation: identity.installation)] : []
        return try SpoolVerifier(trust: identity.trust, expected: expected).verify(directory: spool)
    }

    func tombstones() throws -> [TombstoneBody] {
        try SpoolListing(directory: spool).entries.compactMap { name in
            let entry = try SpoolEntry.open(
                compressed: FileSystem.read(spool + "/" + name.entryFile, maxBytes: 1 << 20),
                signatureText: FileSystem.read(spool + "/" + name.signatureFile, maxBytes: 4096),
                trust: identity.trust)
            return entry.metadata.kind == .tombstone ? TombstoneBody.decode(entry.body, entry: entry.metadata) : nil
        }
    }

    @Test("max_age: entries older than the limit are removed and a signed tombstone declares them", .timeLimit(.minutes(1)))
    func maxAge() throws {
        let writer = try writer()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for day in (0..<10).reversed() {
            _ = try writer.append(body: body(day), productVersion: "1.0", schema: 1, now: now.addingTimeInterval(-Double(day) * 86_400))
        }
        let dropped = try writer.prune(limits: SpoolLimits(maxAge: 3.5 * 86_400), productVersion: "1.0", now: now)
        #expect(dropped.count == 1)
        #expect(dropped[0].reason == .maxAge)
        #expect(dropped[0].dropped == .init(first: 1, last: 6))
        #expect(dropped[0].entries == 6)
        #expect(dropped[0].limit == 302_400)
        let listing = try SpoolListing(directory: spool)
        #expect(listing.entries.map(\.sequence) == [7, 8, 9, 10, 11])
        #expect(try state.loadChain(installation: identity.installation).firstSequence == 7)
        // With the state directory (spooler verify) and without it (uploader verify): clean, loss declared.
        for withState in [true, false] {
            let report = try verify(withState: withState)
            #expect(report.isClean, "\(report.problems)")
            #expect(report.declaredLosses.map { [$0.dropped.first, $0.dropped.last, $0.tombstone] } == [[1, 6, 11]])
        }
        #expect(try tombstones() == dropped)
    }

    @Test(
        "max_unacked_age: exported entries no receipt acknowledged are removed past the limit with a signed tombstone; unexported ones stay",
        .timeLimit(.minutes(1)))
    func maxUnackedAge() throws {
        let writer = try writer()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for day in (0..<10).reversed() {
            _ = try writer.append(body: body(day), productVersion: "1.0", schema: 1, now: now.addingTimeInterval(-Double(day) * 86_400))
        }
        // Entries 1...4 were exported; 5...10 were not, and stay however old they are.
        let dropped = try writer.prune(limits: SpoolLimits(maxUnackedAge: 2 * 86_400, exportedThrough: 4), productVersion: "1.0", now: now)
        #expect(dropped.map(\.reason) == [.maxUnackedAge])
        #expect(dropped.first?.dropped == .init(first: 1, last: 4))
        #expect(dropped.first?.limit == 172_800)
        #expect(try SpoolListing(directory: spool).entries.map(\.sequence) == Array(5...11))
        for withState in [true, false] {
            let report = try verify(withState: withState)
            #expect(report.isClean, "\(report.problems)")
            #expect(report.declaredLosses.map(\.reason) == [.maxUnackedAge])
        }
        #expect(try tombstones() == dropped)
        // Nothing exported is older than the limit any more: a second prune removes nothing.
        #expect(try writer.prune(limits: SpoolLimits(maxUnackedAge: 2 * 86_400, exportedThrough: 4), productVersion: "1.0", now: now) == [])
    }

    @Test("max_bytes: the oldest entries go until the installation fits, never the newest", .timeLimit(.minutes(1)))
    func maxBytes() throws {
        let writer = try writer()
        for n in 1...20 { _ = try writer.append(body: body(n), productVersion: "1.0", schema: 1) }
        let limit: Int64 = 8_192
        let dropped = try writer.prune(limits: SpoolLimits(maxBytes: limit), productVersion: "1.0")
        #expect(dropped.count == 1)
        #expect(dropped[0].reason == .maxBytes)
        #expect(dropped[0].dropped.first == 1)
        let total = try SpoolListing(directory: spool).entries.reduce(Int64(0)) { sum, name in
            sum
                + [name.entryFile, name.signatureFile].reduce(Int64(0)) {
                    $0 + Int64((try? FileManager.default.attributesOfItem(atPath: spool + "/" + $1)[.size] as? Int) ?? 0)
                }
        }
        #expect(total <= limit)
        #expect(try verify().isClean)

        // A limit smaller than one entry keeps the newest entry (and the tombstone that explains the rest).
        let again = try writer.prune(limits: SpoolLimits(maxBytes: 1), productVersion: "1.0")
        #expect(again.count == 1)
        let left = try SpoolListing(directory: spool).entries.map(\.sequence)
        #expect(left.count == 2)
        #expect(try verify().isClean)
        #expect(try verify(withState: false).isClean)

        // Next time the older tombstone is pruned itself: the new one declares its range as well,
        // so those sequences stay declared lost, never turn missing.
        let third = try writer.prune(limits: SpoolLimits(maxBytes: 1), productVersion: "1.0")
        #expect(third.map(\.dropped) == [SequenceRange(first: 1, last: left[0])])
        #expect(third.first?.entries == 1)
        let report = try verify(withState: false)
        #expect(report.isClean, "\(report.problems)")
        #expect(report.declaredLosses.contains { $0.dropped.first == 1 && $0.dropped.last == left[0] })
    }

    @Test("an interrupted prune (tombstone committed, entries still there) is declared a leftover and finished next time", .timeLimit(.minutes(1)))
    func interruptedPrune() throws {
        do {
            let writer = try writer()
            for n in 1...5 { _ = try writer.append(body: body(n), productVersion: "1.0", schema: 1) }
            // What prune does first, without the removals that follow it.
            let tombstone = TombstoneBody(
                installation: identity.installation, dropped: SequenceRange(first: 1, last: 3), entries: 3, bytes: 100, reason: .maxBytes, limit: 4096)
            _ = try writer.append(kind: .tombstone, body: try tombstone.encoded(), productVersion: "1.0", schema: 1, firstSequence: 4)
        }
        let report = try verify()
        #expect(report.problems.map(\.code.rawValue) == ["leftover_pruned"])
        #expect(report.problems.allSatisfy { $0.isLeftover })
        try writer().prune(limits: SpoolLimits(), productVersion: "1.0")
        #expect(try SpoolListing(directory: spool).entries.map(\.sequence) == [4, 5, 6])
        #expect(try verify().isClean)
    }

    @Test(
        "a crash after the tombstone's signature but before the chain state was saved: opening the spool rolls the declaration forward", .timeLimit(.minutes(1))
    )
    func crashBeforeStateSaved() throws {
        let chainFile = state.path + "/" + StateDirectory.chainFile
        do {
            let writer = try writer()
            for n in 1...5 { _ = try writer.append(body: body(n), productVersion: "1.0", schema: 1) }
            let saved = try Data(contentsOf: URL(fileURLWithPath: chainFile))
            let tombstone = TombstoneBody(
                installation: identity.installation, dropped: SequenceRange(first: 1, last: 3), entries: 3, bytes: 100, reason: .maxAge, limit: 60)
            _ = try writer.append(kind: .tombstone, body: try tombstone.encoded(), productVersion: "1.0", schema: 1, firstSequence: 4)
            try saved.write(to: URL(fileURLWithPath: chainFile))
        }
        let reopened = try writer()
        #expect(reopened.chain.lastSequence == 6)
        #expect(reopened.chain.firstSequence == 4)
        try reopened.prune(limits: SpoolLimits(), productVersion: "1.0")
        #expect(try SpoolListing(directory: spool).entries.map(\.sequence) == [4, 5, 6])
        #expect(try verify().isClean)
    }

    @Test("entries removed without a tombstone are still a gap", .timeLimit(.minutes(1)))
    func silentGap() throws {
        let writer = try writer()
        for n in 1...4 { _ = try writer.append(body: body(n), productVersion: "1.0", schema: 1) }
        let name = EntryName(installation: identity.installation, sequence: 1)
        try FileManager.default.removeItem(atPath: spool + "/" + name.signatureFile)
        try FileManager.default.removeItem(atPath: spool + "/" + name.entryFile)
        #expect(try verify().problems.map(\.code.rawValue) == ["sequence_gap"])
    }

    @Test("a tombstone whose body is not a valid declaration is a problem", .timeLimit(.minutes(1)))
    func invalidTombstone() throws {
        let writer = try writer()
        _ = try writer.append(body: body(1), productVersion: "1.0", schema: 1)
        _ = try writer.append(kind: .tombstone, body: Array("{\"type\":\"tombstone\"}\n".utf8), productVersion: "1.0", schema: 1)
        #expect(try verify().problems.map(\.code.rawValue) == ["tombstone_invalid"])
    }
}
