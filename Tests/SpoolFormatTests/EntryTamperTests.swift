import Crypto
import Foundation
import SpoolFormat
import Testing

/// Every change to an entry's bytes must be caught; these tests try every position.
@Suite("Tamper and truncation")
struct EntryTamperTests {
    let key = Curve25519.Signing.PrivateKey()
    let installation = UUID().uuidString.lowercased()

    var trust: SingleSignerTrust { SingleSignerTrust(key: SSHPublicKey(key.publicKey), principal: installation) }

    func makeEntry(sequence: UInt64 = 1, previous: EntryDigest = .genesis, body: String = #"{"metrics":{"projects":3},"schema":1}"# + "\n") throws -> SpoolEntry
    {
        let bytes = Array(body.utf8)
        let metadata = EntryMetadata(
            kind: .report, installation: installation, sequence: sequence, created: Date(timeIntervalSince1970: 1_764_000_000),
            productVersion: "2024.1.0", schema: 1, previous: previous, key: SSHPublicKey(key.publicKey).fingerprint,
            request: ReplayRequest(), body: bytes)
        return try SpoolEntry.make(metadata: metadata, body: bytes, signingKey: key)
    }

    @Test("an entry round-trips through its two files")
    func roundTrip() throws {
        let entry = try makeEntry()
        let opened = try SpoolEntry.open(compressed: try entry.compressedFile(), signatureText: Array(entry.signatureFile.utf8), trust: trust)
        #expect(opened.metadata == entry.metadata)
        #expect(opened.body == entry.body)
        #expect(opened.digest == entry.digest)
        #expect(opened.digest == EntryDigest.of(message: opened.message))
    }

    @Test("flipping any single byte of the .json.gz is detected", arguments: [UInt8(0xff), 0x01, 0x80])
    func flipEntryByte(mask: UInt8) throws {
        let entry = try makeEntry()
        let file = try entry.compressedFile()
        let signature = Array(entry.signatureFile.utf8)
        var accepted: [Int] = []
        for position in file.indices {
            var tampered = file
            tampered[position] ^= mask
            if (try? SpoolEntry.open(compressed: tampered, signatureText: signature, trust: trust)) != nil { accepted.append(position) }
        }
        #expect(accepted.isEmpty, "flips accepted at byte positions \(accepted) of \(file.count)")
    }

    @Test("flipping any single byte of the .sig is detected", arguments: [UInt8(0xff), 0x01, 0x20])
    func flipSignatureByte(mask: UInt8) throws {
        let entry = try makeEntry()
        let file = try entry.compressedFile()
        let signature = Array(entry.signatureFile.utf8)
        var accepted: [Int] = []
        for position in signature.indices {
            var tampered = signature
            tampered[position] ^= mask
            if (try? SpoolEntry.open(compressed: file, signatureText: tampered, trust: trust)) != nil { accepted.append(position) }
        }
        #expect(accepted.isEmpty, "flips accepted at byte positions \(accepted) of \(signature.count)")
    }

    @Test("truncating the .json.gz or the .sig at every length is detected")
    func truncation() throws {
        let entry = try makeEntry()
        let file = try entry.compressedFile()
        let signature = Array(entry.signatureFile.utf8)
        for length in 0..<file.count {
            #expect(
                (try? SpoolEntry.open(compressed: Array(file.prefix(length)), signatureText: signature, trust: trust)) == nil,
                "entry truncated to \(length) bytes accepted")
        }
        // The .sig's final newline is optional in the armor; every shorter prefix must fail.
        for length in 0..<(signature.count - 1) {
            #expect(
                (try? SpoolEntry.open(compressed: file, signatureText: Array(signature.prefix(length)), trust: trust)) == nil,
                "signature truncated to \(length) bytes accepted")
        }
    }

    @Test("an entry signed by a foreign key is rejected as untrusted")
    func foreignKey() throws {
        let entry = try makeEntry()
        let otherKey = Curve25519.Signing.PrivateKey()
        let foreign = SingleSignerTrust(key: SSHPublicKey(otherKey.publicKey), principal: installation)
        #expect(throws: EntryProblem.untrustedKey(fingerprint: SSHPublicKey(key.publicKey).fingerprint)) {
            try SpoolEntry.open(compressed: try entry.compressedFile(), signatureText: Array(entry.signatureFile.utf8), trust: foreign)
        }
    }

    @Test("a trusted key signing for another installation is rejected")
    func wrongInstallation() throws {
        let entry = try makeEntry()
        let other = SingleSignerTrust(key: SSHPublicKey(key.publicKey), principal: UUID().uuidString.lowercased())
        let error = #expect(throws: EntryProblem.self) {
            try SpoolEntry.open(compressed: try entry.compressedFile(), signatureText: Array(entry.signatureFile.utf8), trust: other)
        }
        #expect(error?.code == .keyWrongInstallation)
    }

    @Test("a signature of another entry does not verify")
    func swappedSignature() throws {
        let a = try makeEntry(sequence: 1)
        let b = try makeEntry(sequence: 2, previous: a.digest)
        let error = #expect(throws: EntryProblem.self) {
            try SpoolEntry.open(compressed: try a.compressedFile(), signatureText: Array(b.signatureFile.utf8), trust: trust)
        }
        #expect(error?.code == .signatureInvalid)
    }

    @Test("a third gzip member, trailing bytes or a single member are refused")
    func memberCount() throws {
        let entry = try makeEntry()
        let file = try entry.compressedFile()
        let signature = Array(entry.signatureFile.utf8)
        let extra = try Gzip.compressMember(Array("{}".utf8))
        for tampered in [file + extra, file + [0], Array(file.prefix(try Gzip.compressMember(entry.metadataLine + [0x0a]).count))] {
            let error = #expect(throws: EntryProblem.self) {
                try SpoolEntry.open(compressed: tampered, signatureText: signature, trust: trust)
            }
            #expect(error?.code == .gzipInvalid)
        }
    }

    @Test("an oversized metadata line is reported as too large, with the limit, not as missing")
    func oversizedMetadataLine() throws {
        let entry = try makeEntry()
        let huge = try Gzip.compressMember((0..<700_000).map { _ in UInt8.random(in: 0x61...0x7a) } + [0x0a]) + Gzip.compressMember(entry.body)
        let error = #expect(throws: EntryProblem.self) {
            try SpoolEntry.open(compressed: huge, signatureText: Array(entry.signatureFile.utf8), trust: trust)
        }
        #expect(error == .tooLarge(.metadataLine, limit: SpoolEntry.Limits().maxMetadataBytes))
        #expect(error?.description == "the metadata line is longer than the limit of \(SpoolEntry.Limits().maxMetadataBytes) bytes")
        let missing = try Gzip.compressMember(Array("no newline".utf8)) + Gzip.compressMember(entry.body)
        #expect(throws: EntryProblem.metadataLineMissing) {
            try SpoolEntry.open(compressed: missing, signatureText: Array(entry.signatureFile.utf8), trust: trust)
        }
    }

    @Test("a decompression bomb stops at the ratio cap without inflating it all")
    func decompressionBomb() throws {
        let bomb = try Gzip.compressMember([UInt8](repeating: 0x20, count: 50 << 20))
        #expect(bomb.count < 100_000)
        #expect(throws: Gzip.Failure.ratioExceeded(limit: 250)) {
            try Gzip.decompressMembers(bomb, expectedMembers: 1, limits: .init(maxOutputBytes: 64 << 20, maxRatio: 250))
        }
        #expect(throws: Gzip.Failure.tooLarge(limit: 1 << 20)) {
            try Gzip.decompressMembers(bomb, expectedMembers: 1, limits: .init(maxOutputBytes: 1 << 20, maxRatio: 100_000))
        }
    }

    @Test("a non-canonical base64 spelling of the same signature is refused")
    func nonCanonicalBase64() throws {
        let entry = try makeEntry()
        var lines = entry.signatureFile.split(separator: "\n").map(String.init)
        let last = lines[lines.count - 2]
        // The blob's length leaves unused low bits in the final base64 character before '='.
        let chars = Array(last)
        guard let padIndex = chars.firstIndex(of: "=") else { return }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        let i = padIndex - 1
        let value = alphabet.firstIndex(of: chars[i])!
        var changed = chars
        changed[i] = alphabet[value ^ 1]
        lines[lines.count - 2] = String(changed)
        let tampered = Array((lines.joined(separator: "\n") + "\n").utf8)
        #expect(Data(base64Encoded: lines[1..<lines.count - 1].joined()) != nil, "a lenient decoder accepts it")
        let error = #expect(throws: EntryProblem.self) {
            try SpoolEntry.open(compressed: try entry.compressedFile(), signatureText: tampered, trust: trust)
        }
        #expect(error?.code == .signatureMalformed)
    }

    @Test("metadata with an unknown field, a missing field or an unknown format version is refused")
    func strictMetadata() throws {
        let entry = try makeEntry()
        var object = try JSONSerialization.jsonObject(with: Data(entry.metadataLine)) as! [String: Any]
        object["extra"] = 1
        #expect(throws: EntryProblem.self) { try EntryMetadata.decode(line: [UInt8](try JSONSerialization.data(withJSONObject: object))) }
        object["extra"] = nil
        object["format"] = 2
        #expect(throws: EntryProblem.unsupportedFormat(2)) { try EntryMetadata.decode(line: [UInt8](try JSONSerialization.data(withJSONObject: object))) }
        object["format"] = 1
        object["sequence"] = nil
        #expect(throws: EntryProblem.self) { try EntryMetadata.decode(line: [UInt8](try JSONSerialization.data(withJSONObject: object))) }
    }
}
