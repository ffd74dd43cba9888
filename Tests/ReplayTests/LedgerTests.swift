import Foundation
import Logging
import ReplayClient
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TestSupport
import Testing

/// The ledger on its own: registration, attempts, and status across batches.
@Suite("Ledger")
struct LedgerTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    /// Two batches carried out separately (1...3, then 6...8): status knows the highest sequence
    /// and that 4...5 never arrived, across both.
    @Test(.timeLimit(.minutes(1)))
    func statusKnowsMissingRangesAcrossBatches() throws {
        let spool = try TestSpool.make(in: temp.file("all"), stateRoot: temp.path, count: 8)
        let first = temp.file("batch1")
        let second = temp.file("batch2")
        for (directory, sequences) in [(first, 1...3), (second, 6...8)] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for entry in spool.entries where sequences.contains(Int(entry.metadata.sequence)) {
                for file in [entry.name.entryFile, entry.name.signatureFile] {
                    try FileManager.default.copyItem(atPath: spool.directory + "/" + file, toPath: directory + "/" + file)
                }
            }
        }
        let ledger = try Ledger(path: temp.file("ledger.sqlite"))
        let registered = try [first, second].map { directory in
            try ledger.register(try SpoolScan.run(directory: directory, trust: .firstUse(pins: try ledger.pins())))
        }
        #expect(registered.map(\.work.count) == [3, 3])
        #expect(try ledger.pins()[spool.identities[0].installation] == spool.identities[0].publicKey)

        // Deliver the first batch; one entry of the second fails and waits.
        let now = Date()
        var records = registered[0].work.map {
            Ledger.AttemptRecord(entry: $0.id, at: now, status: 201, latency: 0.01, state: .delivered)
        }
        records.append(
            Ledger.AttemptRecord(
                entry: registered[1].work[0].id, at: now, status: 503, error: "busy", latency: 0.02,
                state: .retrying, nextAttempt: now.addingTimeInterval(30)))
        try ledger.record(records)

        let status = try ledger.status()
        #expect(status.counts["delivered"] == 3 && status.counts["retrying"] == 1 && status.counts["pending"] == 2)
        #expect(status.nextRetry != nil)
        #expect(status.latestErrors.first?.status == 503 && status.latestErrors.first?.error == "busy")
        let installation = try #require(status.installations.first)
        #expect(installation.highestSequence == 8)
        #expect(installation.missing == [.init(first: 4, last: 5)])
        #expect(installation.delivered == 3)

        // Registering a batch again changes nothing that was delivered, and keeps the retry time.
        let again = try ledger.register(try SpoolScan.run(directory: second, trust: .firstUse(pins: try ledger.pins())))
        #expect(again.work.count == 3)
        #expect(again.work.first { $0.id == registered[1].work[0].id }?.attempts == 1)
        #expect(try ledger.register(try SpoolScan.run(directory: first, trust: .firstUse(pins: try ledger.pins()))).alreadyDelivered == 3)
    }
}
