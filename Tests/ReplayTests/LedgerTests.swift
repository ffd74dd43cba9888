import Crypto
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

/// The counts the ledger keeps per installation give `uploader status` the same answer as
/// counting every entry, through forks, quarantine, gaps and retries; an existing ledger gets
/// them counted when it is opened.
@Suite("Ledger counts")
struct LedgerCountTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    /// The status as JSON, without the ledger's path.
    func status(_ path: String, readOnly: Bool = true) throws -> String {
        var status = try Ledger(path: path, readOnly: readOnly).status()
        status.ledger = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(status), as: UTF8.self)
    }

    @Test(.timeLimit(.minutes(1)))
    func keptCountsAnswerAsCountingEveryEntry() throws {
        let path = temp.file("ledger.sqlite")
        let ledger = try Ledger(path: path)
        let key = SSHPublicKey(Curve25519.Signing.PrivateKey().publicKey)
        let installations = ["0b7b6c1e-4c8e-4f7e-9a51-000000000001", "0b7b6c1e-4c8e-4f7e-9a51-000000000002", "0b7b6c1e-4c8e-4f7e-9a51-000000000003"]
        func accepted(_ installation: String, _ sequence: UInt64, _ tag: String = "") -> SpoolScan.Accepted {
            SpoolScan.Accepted(
                name: EntryName(installation: installation, sequence: sequence),
                digest: EntryDigest(SHA256.hash(data: Array("\(installation) \(sequence) \(tag)".utf8))), key: key, productVersion: "1.0",
                entry: nil, folder: "/spool")
        }
        // The first installation: 3...5 (one sequence held twice, a fork), 8, 9; the second: 1...4;
        // the third: 2...4, unbroken from its lowest sequence.
        let first = [3, 4, 5, 8, 9].map { accepted(installations[0], $0) } + [accepted(installations[0], 4, "fork")]
        let second = (1...4).map { accepted(installations[1], UInt64($0)) }
        let third = (2...4).map { accepted(installations[2], UInt64($0)) }
        let registered = try ledger.register(accepted: first + second + third, pins: Dictionary(uniqueKeysWithValues: installations.map { ($0, key) }))
        // One of the fork's entries and an unbroken installation's entry end quarantined: the gaps change.
        let quarantined = [first[5].digest, second[1].digest]
        let now = Date()
        try ledger.record(
            registered.work.enumerated().map { index, work in
                quarantined.contains(work.digest)
                    ? Ledger.AttemptRecord(entry: work.id, at: now, latency: 0, state: .quarantined, reason: "bad", sent: false)
                    : index % 3 == 0
                        ? Ledger.AttemptRecord(entry: work.id, at: now, status: 503, error: "busy", latency: 0.01, state: .retrying, nextAttempt: now)
                        : Ledger.AttemptRecord(entry: work.id, at: now, status: 201, latency: 0.01, state: .delivered)
            })

        let kept = try status(path)
        // The same ledger without its counts (as before the migration that adds them), read as it is.
        let copy = temp.file("copy.sqlite")
        try Command.run("sqlite3", [path, "VACUUM INTO '\(copy)'"])
        let dropped = try Command.run(
            "sqlite3",
            [
                copy,
                """
                DROP TRIGGER entry_count_insert; DROP TRIGGER entry_count_delete; DROP TRIGGER entry_count_update; DROP TRIGGER entry_count_state;
                DROP TABLE entryCount; DROP TABLE heldSequence; DROP INDEX attempt_failed;
                DELETE FROM grdb_migrations WHERE identifier IN ('v4 entry counts', 'v5 state-only count updates');
                """,
            ])
        #expect(dropped.status == 0, "\(dropped.stderr)")
        #expect(try status(copy) == kept)
        let parsed = try JSONDecoder().decode(LedgerStatus.self, from: Data(kept.utf8))
        #expect(
            parsed.installations.map(\.missing) == [
                [.init(first: 1, last: 2), .init(first: 6, last: 7)], [.init(first: 2, last: 2)], [.init(first: 1, last: 1)],
            ])
        #expect(parsed.installations.map(\.entries) == [6, 4, 3])
        #expect(parsed.installations.map(\.highestSequence) == [9, 4, 4])
        // Opening it migrates it: the counts are made from its entries.
        let migrated = try Ledger(path: copy)
        #expect(try status(copy) == kept)
        // Later answers move the kept counts as counting every entry does: the retried entries
        // are delivered, in the ledger that counted from the start and in the migrated one.
        let retried = registered.work.enumerated().filter { $0.offset % 3 == 0 && !quarantined.contains($0.element.digest) }
        #expect(!retried.isEmpty)
        for target in [ledger, migrated] {
            try target.record(retried.map { Ledger.AttemptRecord(entry: $0.element.id, at: now, status: 201, latency: 0.01, state: .delivered) })
        }
        let delivered = try status(path)
        #expect(try status(copy) == delivered)
        #expect(delivered != kept)
        let counts = try JSONDecoder().decode(LedgerStatus.self, from: Data(delivered.utf8)).counts
        #expect(counts["retrying"] ?? 0 == 0, "\(counts)")
        #expect(counts["delivered"] == registered.work.count - quarantined.count, "\(counts)")
    }
}
