import Crypto
import Foundation
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

@testable import ReceiverServer

/// The store's reads behind the dashboard, the export and the metrics, on a real SQLite store.
@Suite("Receiver store reads")
struct ReceiverStoreReadsTests {
    let temp: TemporaryDirectory
    let key = Curve25519.Signing.PrivateKey()

    init() throws { temp = try TemporaryDirectory() }

    /// Installation `installation`'s entries 1...reports (reports), then a tombstone declaring 1...1 lost.
    func entries(_ installation: String, reports: UInt64) throws -> [ReceivedEntry] {
        var previous = EntryDigest.genesis
        var made: [ReceivedEntry] = []
        for sequence in 1...(reports + 1) {
            let tombstone = sequence == reports + 1
            let body =
                tombstone
                ? try TombstoneBody(installation: installation, dropped: .init(first: 1, last: 1), entries: 1, bytes: 1, reason: .maxBytes, limit: 1)
                    .encoded()
                : Array(#"{"metrics":{"users":\#(sequence)}}"#.utf8)
            let metadata = EntryMetadata(
                kind: tombstone ? .tombstone : .report, installation: installation, sequence: sequence, created: Date(),
                productVersion: "1.\(sequence)", schema: 1, previous: previous, key: SSHPublicKey(key.publicKey).fingerprint,
                request: ReplayRequest(), body: body)
            let entry = try SpoolEntry.make(metadata: metadata, body: body, signingKey: key)
            previous = entry.digest
            made.append(ReceivedEntry(entry: entry))
        }
        return made
    }

    @Test(.timeLimit(.minutes(1)))
    func readsSelectPageAndSkipTombstones() async throws {
        let store = try SQLiteReportStore(path: temp.file("r.sqlite"))
        let (a, b) = (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
        let before = Date().timeIntervalSince1970
        #expect(try await store.store(try entries(a, reports: 3) + entries(b, reports: 2), pinKeys: false).allSatisfy { $0 == .stored })

        let latest = try await store.latestReports()
        #expect(latest.map(\.installation) == [a, b].sorted())
        #expect(Set(latest.map(\.sequence)) == [3, 2], "the newest report, never the tombstone after it")
        #expect(latest.allSatisfy { $0.kind == "report" })

        let all = try await store.reports(installation: nil, receivedSince: nil, after: 0, limit: 100)
        #expect(all.count == 7 && all.map(\.id) == all.map(\.id).sorted())
        #expect(all.filter { $0.kind == "tombstone" }.count == 2)
        #expect(all.allSatisfy { $0.receivedAt >= before - 1 && $0.duplicates == 0 })
        // Paging: the cursor is the last id read.
        let first = try await store.reports(installation: nil, receivedSince: nil, after: 0, limit: 3)
        let rest = try await store.reports(installation: nil, receivedSince: nil, after: first.last!.id, limit: 100)
        #expect(first + rest == all)
        #expect(try await store.reports(installation: a, receivedSince: nil, after: 0, limit: 100).map(\.sequence) == [1, 2, 3, 4])
        #expect(try await store.reports(installation: nil, receivedSince: before - 60, after: 0, limit: 100).count == 7)
        #expect(try await store.reports(installation: nil, receivedSince: Date().timeIntervalSince1970 + 60, after: 0, limit: 100).isEmpty)

        // The metrics read the same store: reports and tombstones apart.
        let text = String(decoding: try await ReceiverMetrics().exposition(store: store, queueDepth: 0), as: UTF8.self)
        #expect(text.contains("receiver_stored_reports 5.0\n") && text.contains("receiver_stored_tombstones 2.0\n"), "\(text)")
        #expect(text.contains("receiver_installations 2.0\n"), "\(text)")
    }
}
