import Crypto
import Foundation
import ReceiverServer
import ReplayClient
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TestSupport
import Testing

/// The way back: a real upload to a real receiver, `uploader receipt`, `spooler ack`, all with the
/// built binaries and stock ssh-keygen.
@Suite("Receipts and ack")
struct ReceiptAckTests {
    /// A spooling side and a connected side sharing one temporary folder.
    final class Loop: @unchecked Sendable {
        let temp: TemporaryDirectory
        var spool: String { temp.file("Spool") }
        var state: String { temp.file("state") }
        var ledger: String { temp.file("uploader/ledger.sqlite") }
        var trusted: String { temp.file("trusted_uploaders") }

        init() throws { temp = try TemporaryDirectory("receipts") }

        @discardableResult
        func spooler(_ arguments: String..., config: Bool = true) throws -> Command.Result {
            // Without `config`, an empty configuration (not ./spooler.conf, which the spooler would pick up).
            let file = temp.file(config ? "spooler.conf" : "empty.conf")
            if !FileManager.default.fileExists(atPath: file) { try Data().write(to: URL(fileURLWithPath: file)) }
            let configuration = ["--config", file]
            return try Command.run(Command.product("spooler"), arguments + ["--spool", spool, "--state", state] + configuration, in: temp.path)
        }

        func uploader(_ arguments: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await uploader(arguments)
        }

        func uploader(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await runUploader(arguments + ["--ledger", ledger], in: temp)
        }

        /// Collects `count` entries, uploads them to a fresh receiver, and trusts the uploader key.
        func collectAndUpload(_ count: Int) async throws -> ReceiverProcess {
            for _ in 0..<count { #expect(try spooler("collect").status == 0) }
            let receiver = try await ReceiverProcess(in: temp)
            let upload = try await uploader("upload", spool, "--endpoint", receiver.url)
            #expect(upload.status == 0, "\(upload.stdout)\(upload.stderr)")
            let line = try await uploader("pubkey", "--allowed-signers")
            try Data(line.stdout.utf8).write(to: URL(fileURLWithPath: trusted))
            try Data("trusted_uploaders = \(trusted)\n".utf8).write(to: URL(fileURLWithPath: temp.file("spooler.conf")))
            return receiver
        }

        func receipt(_ name: String, installation: String? = nil) async throws -> String {
            let out = temp.file(name)
            let result = try await uploader(["receipt", "--out", out] + (installation.map { ["--installation", $0] } ?? []))
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            return out
        }

        /// Every file of the spool and the state directory, with its bytes.
        func snapshot() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for directory in [spool, state] {
                for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name != SpoolLock.fileName {
                    files[directory + "/" + name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
                }
            }
            return files
        }

        func sequences() throws -> [UInt64] { try SpoolListing(directory: spool).entries.map(\.sequence) }
    }

    @Test("a receipt signed by the uploader key passes ssh-keygen; ack frees exactly the delivered entries and verify stays clean", .timeLimit(.minutes(1)))
    func ackFreesDelivered() async throws {
        let loop = try Loop()
        let receiver = try await loop.collectAndUpload(3)
        defer { Task { await receiver.stop() } }
        #expect(try loop.spooler("collect").status == 0)  // entry 4: not delivered
        let receipt = try await loop.receipt("receipt")
        let check = try Command.run(
            "ssh-keygen",
            [
                "-Y", "verify", "-f", loop.trusted, "-I", DeliveryReceipt.principal,
                "-n", DeliveryReceipt.namespace, "-s", receipt + ".sig",
            ],
            input: try Data(contentsOf: URL(fileURLWithPath: receipt)))
        #expect(check.status == 0, "\(check.stderr)")
        let keyMode = FileSystem.mode(of: loop.temp.file("uploader/uploader-key")).map { $0 & 0o777 }
        #expect(keyMode == 0o600)

        let ack = try loop.spooler("ack", receipt)
        #expect(ack.status == 0, "\(ack.stderr)")
        #expect(ack.stdout.hasPrefix("freed 3 entries (1...3), "), "\(ack.stdout)")
        #expect(try loop.sequences() == [4])
        var verify = try loop.spooler("verify")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        // The chain goes on from the acknowledged link.
        #expect(try loop.spooler("collect").status == 0)
        verify = try loop.spooler("verify")
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        // Uploading the rest and acking again empties the spool; the receiver holds each report once.
        #expect(try await loop.uploader("upload", loop.spool, "--endpoint", receiver.url).status == 0)
        let second = try await loop.receipt("receipt-2")
        let again = try loop.spooler("ack", second)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix("freed 2 entries (4...5), "), "\(again.stdout)")
        #expect(try loop.sequences() == [])
        #expect(try loop.spooler("verify").status == 0)
        let stored = try await receiver.reports()
        #expect(stored.map(\.sequence).sorted() == [1, 2, 3, 4, 5])
    }

    @Test("a forged, foreign, unknown-digest or replayed receipt changes nothing, exits 1 and says why", .timeLimit(.minutes(1)))
    func refusedReceipts() async throws {
        let loop = try Loop()
        let receiver = try await loop.collectAndUpload(2)
        defer { Task { await receiver.stop() } }
        let receipt = try await loop.receipt("receipt")
        let installation = try StateDirectory(path: loop.state).loadPublicIdentity().installation

        func expectRefused(
            _ path: String, _ code: ProblemCode, _ words: String, config: Bool = true,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let before = try loop.snapshot()
            let result = try loop.spooler("ack", path, config: config)
            #expect(result.status == 1, "\(result.stdout)", sourceLocation: sourceLocation)
            #expect(
                result.stderr.contains(code.rawValue) || code == .receiptMalformed && result.stderr.contains(words),
                "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains(words), "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(try loop.snapshot() == before, "the spool or state changed", sourceLocation: sourceLocation)
        }

        // Not configured: no trusted uploader keys.
        try expectRefused(receipt, .receiptMalformed, "trusted_uploaders", config: false)

        // Forged: one digit changed after signing.
        let forged = loop.temp.file("forged")
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: receipt)))
        bytes[bytes.count - 2] = bytes[bytes.count - 2] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        try Data(bytes).write(to: URL(fileURLWithPath: forged))
        try FileManager.default.copyItem(atPath: receipt + ".sig", toPath: forged + ".sig")
        try expectRefused(forged, .receiptSignatureInvalid, "does not match the receipt")

        // Signed by a key the site does not trust: a valid receipt from another uploader's ledger.
        let stranger = DeliveryReceipt(installation: installation, issued: Date(), delivered: [], lost: [])
        let strangerPath = loop.temp.file("stranger")
        try ReceiptIssuer.write(stranger, to: strangerPath, key: .init())
        try expectRefused(strangerPath, .receiptUntrustedKey, "does not trust")

        // Trusted key, but another installation.
        let key = try SigningKeyFile.load(loop.temp.file("uploader/uploader-key"), comment: DeliveryReceipt.principal)
        let foreignPath = loop.temp.file("foreign")
        try ReceiptIssuer.write(
            DeliveryReceipt(installation: UUID().uuidString.lowercased(), issued: Date(), delivered: [], lost: []),
            to: foreignPath, key: key)
        try expectRefused(foreignPath, .receiptWrongInstallation, "is for installation")

        // Trusted key, this installation, a digest the spool never had (alongside a true one).
        let real = try DeliveryReceipt.decode(Array(try Data(contentsOf: URL(fileURLWithPath: receipt))))
        let unknownDigest = EntryDigest.of(message: Array("never spooled".utf8))
        let unknownPath = loop.temp.file("unknown")
        try ReceiptIssuer.write(
            DeliveryReceipt(
                installation: installation, issued: Date(),
                delivered: [real.delivered[0], .init(sequence: 2, digest: unknownDigest)], lost: []),
            to: unknownPath, key: key)
        try expectRefused(unknownPath, .receiptUnknownDigest, "\(unknownDigest)")

        // Applied once, then replayed.
        let ack = try loop.spooler("ack", receipt)
        #expect(ack.status == 0, "\(ack.stderr)")
        #expect(try loop.sequences() == [])
        try expectRefused(receipt, .receiptReplayed, "already applied")
        // An older receipt than the one applied.
        let older = loop.temp.file("older")
        try ReceiptIssuer.write(
            DeliveryReceipt(installation: installation, issued: Date(timeIntervalSinceNow: -3600), delivered: [], lost: []),
            to: older, key: key)
        try expectRefused(older, .receiptReplayed, "before the receipt")
    }

    @Test("the uploader key is refused when group or others can read it; several installations need --installation", .timeLimit(.minutes(1)))
    func keyAndInstallations() async throws {
        let loop = try Loop()
        let receiver = try await loop.collectAndUpload(1)
        defer { Task { await receiver.stop() } }
        // A second installation in the same ledger.
        let other = loop.temp.file("Spool-2")
        #expect(
            try Command.run(Command.product("spooler"), ["collect", "--spool", other, "--state", loop.temp.file("state-2")], in: loop.temp.path).status == 0)
        #expect(try await loop.uploader("upload", other, "--endpoint", receiver.url).status == 0)
        let ambiguous = try await loop.uploader("receipt", "--out", loop.temp.file("r"))
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr.contains("--installation"), "\(ambiguous.stderr)")
        let installation = try StateDirectory(path: loop.state).loadPublicIdentity().installation
        _ = try await loop.receipt("r", installation: installation)
        #expect(try loop.spooler("ack", loop.temp.file("r")).stdout.hasPrefix("freed 1 entry (1...1)"))

        let key = loop.temp.file("uploader/uploader-key")
        #expect(chmod(key, 0o644) == 0)
        let refused = try await loop.uploader("pubkey")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("chmod 600 \(key)"), "\(refused.stderr)")
    }
}
