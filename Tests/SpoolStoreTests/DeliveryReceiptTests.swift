import Foundation
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

/// The committed receipt vector pins the receipt format: ssh-keygen accepts its signature, and the
/// parser reproduces it byte for byte.
@Suite("Delivery receipt")
struct DeliveryReceiptTests {
    static let vector = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/receipt").path

    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: vector + "/" + file)))
    }

    @Test("the vector receipt's signature passes ssh-keygen -Y verify as principal 'uploader'", .timeLimit(.minutes(1)))
    func vectorWithStockTools() throws {
        let verify = try Command.run(
            "ssh-keygen",
            [
                "-Y", "verify", "-f", "allowed_signers", "-I", DeliveryReceipt.principal,
                "-n", DeliveryReceipt.namespace, "-s", "RECEIPT.sig",
            ],
            in: Self.vector, input: Data(try Self.bytes("RECEIPT")))
        #expect(verify.status == 0, "\(verify.stderr)")
        // The manifest namespace is another one: a receipt signature never passes for a manifest's.
        let other = try Command.run(
            "ssh-keygen",
            [
                "-Y", "verify", "-f", "allowed_signers", "-I", DeliveryReceipt.principal,
                "-n", BatchManifest.namespace, "-s", "RECEIPT.sig",
            ],
            in: Self.vector, input: Data(try Self.bytes("RECEIPT")))
        #expect(other.status != 0)
    }

    @Test("the vector receipt verifies, round-trips byte for byte, and counts its declared loss as covered")
    func vectorVerifies() throws {
        let bytes = try Self.bytes("RECEIPT")
        try DeliveryReceipt.verifySignature(
            receipt: bytes, signatureText: try Self.bytes("RECEIPT.sig"),
            trust: try AllowedSigners(contentsOf: Self.vector + "/allowed_signers"))
        let receipt = try DeliveryReceipt.decode(bytes)
        #expect(receipt.encoded() == bytes)
        #expect(receipt.delivered.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(receipt.lost == [SequenceRange(first: 1, last: 3)])
        #expect(receipt.contiguous == 5)
        var changed = bytes
        changed[changed.count - 2] ^= 1
        #expect(throws: DeliveryReceiptError.self) {
            try DeliveryReceipt.verifySignature(
                receipt: changed, signatureText: try Self.bytes("RECEIPT.sig"),
                trust: try AllowedSigners(contentsOf: Self.vector + "/allowed_signers"))
        }
    }

    @Test("the contiguous mark: delivered or declared lost from 1 on, stopping at the first hole")
    func contiguousMark() {
        #expect(DeliveryReceipt.contiguousMark(delivered: [], lost: []) == 0)
        #expect(DeliveryReceipt.contiguousMark(delivered: [2, 3], lost: []) == 0)
        #expect(DeliveryReceipt.contiguousMark(delivered: [1, 2, 4], lost: []) == 2)
        #expect(DeliveryReceipt.contiguousMark(delivered: [4, 5, 7], lost: [SequenceRange(first: 1, last: 3)]) == 5)
        #expect(DeliveryReceipt.contiguousMark(delivered: [1, 9], lost: [SequenceRange(first: 2, last: 8)]) == 9)
    }

    @Test("a receipt not exactly in the written form is refused", arguments: ["LEADING0", "CR", "CONTIGUOUS", "ORDER", "UPPER", "EXTRA"])
    func strictParse(_ change: String) throws {
        var lines = String(decoding: try Self.bytes("RECEIPT"), as: UTF8.self).split(separator: "\n").map(String.init)
        switch change {
        case "LEADING0": lines[5] = lines[5].replacingOccurrences(of: "delivered 1 ", with: "delivered 01 ")
        case "CR": lines[2] += "\r"
        case "CONTIGUOUS": lines[3] = "# contiguous: 9"
        case "ORDER": lines.swapAt(5, 6)
        case "UPPER": lines[6] = lines[6].uppercased()
        default: lines.append("note this")
        }
        let edited = Array((lines.joined(separator: "\n") + "\n").utf8)
        #expect(throws: DeliveryReceiptError.self) { try DeliveryReceipt.decode(edited) }
    }
}
