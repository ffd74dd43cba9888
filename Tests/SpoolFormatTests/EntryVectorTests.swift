import Foundation
import SpoolFormat
import Testing

/// The committed vectors pin the format: an entry, its signature, its public key and what a
/// reader must get out of them. A change that breaks these breaks every spool in the field.
@Suite("Test vectors")
struct EntryVectorTests {
    static func vector(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Vectors/\(name)", withExtension: nil))
        return [UInt8](try Data(contentsOf: url))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try vector(name), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("the vector entry opens with its allowed_signers line and yields the expected metadata, body and digest")
    func vectorOpens() throws {
        let trust = try AllowedSigners(text: try Self.text("allowed_signers"))
        let entry = try SpoolEntry.open(compressed: try Self.vector("entry.json.gz"), signatureText: try Self.vector("entry.json.gz.sig"), trust: trust)
        #expect(String(decoding: entry.metadataLine, as: UTF8.self) == (try Self.text("expected-metadata.json")))
        #expect(entry.body == (try Self.vector("expected-body.json")))
        #expect(entry.digest.description == (try Self.text("expected-digest.txt")))
        #expect(entry.metadata.sequence == 2)
        #expect(entry.metadata.format == 1)
        #expect(entry.metadata.kind == .report)
        #expect(entry.metadata.productVersion == "2024.3.1")
        #expect(entry.metadata.request == ReplayRequest(method: "POST", path: "/api/telemetry", contentType: "application/json"))
        #expect(entry.name.entryFile == "b58572c3-faca-420c-8df7-178ea2d410b2-0000000002.json.gz")
    }

    @Test("the public key file, the allowed_signers key and the signature's key are the same key")
    func vectorKeys() throws {
        let key = try SSHPublicKey(openSSHLine: try Self.text("signing-key.pub"))
        let signature = try SSHSignature(armored: try Self.text("entry.json.gz.sig") + "\n")
        #expect(signature.publicKey == key)
        #expect(signature.namespace == SpoolEntry.namespace)
        #expect(key.fingerprint == "SHA256:BmxAFEBay36cDSq8Liz7yddVsqDLzQSby7sHp+S3Vv8")
        #expect(
            AllowedSigners.line(principal: "b58572c3-faca-420c-8df7-178ea2d410b2", namespace: SpoolEntry.namespace, key: key)
                == (try Self.text("allowed_signers")))
    }

    @Test("re-encoding the vector's parts reproduces the signature file byte for byte")
    func armorRoundTrip() throws {
        let text = String(decoding: try Self.vector("entry.json.gz.sig"), as: UTF8.self)
        #expect(try SSHSignature(armored: text).armored == text)
    }

    @Test("each member of the vector starts with the canonical gzip header")
    func canonicalHeader() throws {
        let bytes = try Self.vector("entry.json.gz")
        #expect(Array(bytes.prefix(10)) == Gzip.canonicalHeader)
        let first = try Gzip.compressMember(Array((try Self.text("expected-metadata.json") + "\n").utf8))
        #expect(Array(bytes.prefix(first.count)) == first)
    }
}
