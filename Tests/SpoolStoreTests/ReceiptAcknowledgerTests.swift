import Crypto
import Foundation
import Logging
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TestSupport
import Testing

@Suite("Receipt acknowledger")
struct ReceiptAcknowledgerTests {
    let work: TemporaryDirectory
    let state: StateDirectory
    let spool: String
    let identity: StateDirectory.Identity
    let trust: SingleSignerTrust
    let sign: ([UInt8]) throws -> SSHSignature

    init() throws {
        work = try TemporaryDirectory("ack")
        state = StateDirectory(path: work.file("state"))
        spool = work.file("Spool")
        try FileSystem.makeDirectory(spool, permissions: 0o755)
        identity = try state.createIdentity()
        // A throwaway uploader key, in the key file format the uploader uses.
        let key = try SigningKeyFile.loadOrCreate("uploader-key", comment: DeliveryReceipt.principal, in: work.file("uploader")).key
        trust = SingleSignerTrust(key: SSHPublicKey(key.publicKey), principal: DeliveryReceipt.principal)
        sign = { try DeliveryReceipt.sign($0, key: key) }
    }

    var acknowledger: ReceiptAcknowledger {
        ReceiptAcknowledger(
            spool: spool, state: state, identity: identity,
            trust: trust)
    }

    func writeReceipt(_ entries: [SpoolEntry], issued: Date, name: String) throws -> String {
        let receipt = DeliveryReceipt(
            installation: identity.installation, issued: issued,
            delivered: entries.map { .init(sequence: $0.metadata.sequence, digest: $0.digest) }, lost: [])
        let path = work.file(name)
        try Data(receipt.encoded()).write(to: URL(fileURLWithPath: path))
        try Data(try sign(receipt.encoded()).armored.utf8).write(to: URL(fileURLWithPath: path + ".sig"))
        return path
    }

    func verify() throws -> SpoolVerifier.Report {
        try SpoolVerifier(trust: identity.trust, expected: [try state.loadChain(installation: identity.installation)]).verify(directory: spool)
    }

    @Test(
        "only the unbroken run of delivered entries leaves; a crash before the removals leaves verify clean and the next ack finishes them",
        .timeLimit(.minutes(1)))
    func runAndCrash() throws {
        var entries: [SpoolEntry] = []
        do {
            let writer = try SpoolWriter(spool: spool, state: state, identity: identity, logger: Logger(label: "test"))
            for n in 1...6 { entries.append(try writer.append(body: Array("{\"n\":\(n)}\n".utf8), productVersion: "1.0", schema: 1).entry) }
        }
        // 1, 2, 4, 5 delivered; 3 not yet: only 1...2 may leave.
        let first = try writeReceipt([entries[0], entries[1], entries[3], entries[4]], issued: Date(timeIntervalSince1970: 1_800_000_000), name: "r1")
        let outcome = try acknowledger.acknowledge(receiptAt: first, logger: Logger(label: "test"), productVersion: "1.0")
        #expect(outcome.removed == SequenceRange(first: 1, last: 2))
        #expect(outcome.kept == 2)
        #expect(try SpoolListing(directory: spool).entries.map(\.sequence) == [3, 4, 5, 6])
        #expect(try verify().isClean)

        // A crash after the chain state was saved, before any file was removed: put entries back in that state.
        var chain = try state.loadChain(installation: identity.installation)
        chain.firstSequence = 6
        chain.acknowledged = .init(sequence: 5, digest: entries[4].digest)
        try state.saveChain(chain)
        let report = try verify()
        #expect(report.isClean, "\(report.problems)")
        let second = try writeReceipt(Array(entries[0...4]), issued: Date(timeIntervalSince1970: 1_800_000_100), name: "r2")
        let again = try acknowledger.acknowledge(receiptAt: second, logger: Logger(label: "test"), productVersion: "1.0")
        #expect(again.removed == nil)
        #expect(try SpoolListing(directory: spool).entries.map(\.sequence) == [6])
        #expect(try verify().isClean)
    }
}
