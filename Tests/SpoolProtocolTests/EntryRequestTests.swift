import Crypto
import Foundation
import SpoolFormat
import SpoolProtocol
import Testing

/// Signed entries for the contract tests: one installation, one key.
struct Signer {
    let key = Curve25519.Signing.PrivateKey()
    let installation = UUID().uuidString.lowercased()

    var trust: any SignerTrust {
        get throws {
            try AllowedSigners(
                text: "\(installation) namespaces=\"\(SpoolEntry.namespace)\" \(SSHPublicKey(key.publicKey).openSSHLine())\n", file: "allowed_signers")
        }
    }

    func entry(
        kind: EntryKind = .report, sequence: UInt64 = 1, body: [UInt8] = Array(#"{"users":1}"#.utf8),
        path: String = "/api/telemetry"
    ) throws -> SpoolEntry {
        let metadata = EntryMetadata(
            kind: kind, installation: installation, sequence: sequence, created: Date(), productVersion: "1.0",
            schema: 1, previous: sequence == 1 ? .genesis : EntryDigest.of(message: [UInt8(sequence)]),
            key: SSHPublicKey(key.publicKey).fingerprint, request: ReplayRequest(path: path), body: body)
        return try SpoolEntry.make(metadata: metadata, body: body, signingKey: key)
    }

    func tombstone(sequence: UInt64 = 7, dropped: SequenceRange = SequenceRange(first: 1, last: 4)) throws -> SpoolEntry {
        let body = TombstoneBody(installation: installation, dropped: dropped, entries: 4, bytes: 4096, reason: .maxBytes, limit: 8192)
        return try entry(kind: .tombstone, sequence: sequence, body: try body.encoded())
    }
}

extension EntryRequest {
    /// A copy with the first field named `name` set to `value` (removed when `nil`).
    func setting(_ name: String, _ value: String?) -> EntryRequest {
        var copy = self
        copy.headers.removeAll { $0.name.lowercased() == name.lowercased() }
        if let value { copy.headers.append(Header(name: name, value: value)) }
        return copy
    }
}

@Suite("Entry request contract: client half to server half, without HTTP")
struct EntryRequestTests {
    let signer = Signer()

    func read(_ request: EntryRequest) throws -> Result<SpoolEntry, EntryRefusal> {
        let reader = EntryRequestReader(trust: try signer.trust)
        do throws(EntryRefusal) {
            return .success(try reader.read(request))
        } catch {
            return .failure(error)
        }
    }

    func refusal(_ request: EntryRequest) throws -> EntryRefusal? {
        if case .failure(let refusal) = try read(request) { return refusal }
        return nil
    }

    @Test("a report and a tombstone round-trip: the server half reads back the entry the client half sent")
    func roundTrip() throws {
        for entry in [try signer.entry(), try signer.tombstone()] {
            let request = EntryRequest(entry: entry)
            #expect(request.method == "POST")
            #expect(request.path == "/api/telemetry")
            #expect(request.header("spool-metadata") == StrictBase64.encode(entry.metadataLine))
            let read = try read(request).get()
            #expect(read.digest == entry.digest)
            #expect(read.body == entry.body)
            #expect(read.metadata == entry.metadata)
        }
    }

    @Test("a tampered copy of a report or a tombstone is refused with the code and status of docs/PROTOCOL.md")
    func tamperedCopiesAreRefused() throws {
        let other = try signer.entry(sequence: 2, body: Array(#"{"users":2}"#.utf8))
        for entry in [try signer.entry(), try signer.tombstone()] {
            let request = EntryRequest(entry: entry)
            var body = request
            body.body[body.body.count / 2] ^= 0x01
            var metadataLine = entry.metadataLine
            metadataLine[metadataLine.count - 3] ^= 0x01
            var path = request
            path.path = "/api/other"
            var query = request
            query.path = "/api/telemetry?x=1"
            var method = request
            method.method = "PUT"
            let cases: [(String, EntryRequest, EntryRefusal.Code, Int)] = [
                ("a body byte", body, .entry(.signatureInvalid), 403),
                ("the metadata header", request.setting(EntryHeaders.metadata, StrictBase64.encode(metadataLine)), .entry(.signatureInvalid), 403),
                ("no metadata header", request.setting(EntryHeaders.metadata, nil), .request(.metadataHeaderMissing), 400),
                ("metadata not base64", request.setting(EntryHeaders.metadata, "not base64!"), .request(.metadataHeaderInvalid), 400),
                (
                    "another entry's signature", request.setting(EntryHeaders.signature, StrictBase64.encode(other.signature.blob)), .entry(.signatureInvalid),
                    403
                ),
                (
                    "a signature that is no SSHSIG blob", request.setting(EntryHeaders.signature, StrictBase64.encode(Array("nonsense".utf8))),
                    .entry(.signatureMalformed), 400
                ),
                ("no signature header", request.setting(EntryHeaders.signature, nil), .request(.signatureHeaderMissing), 400),
                (
                    "another entry's idempotency key", request.setting(EntryHeaders.idempotencyKey, other.digest.description),
                    .request(.idempotencyKeyMismatch), 400
                ),
                ("a malformed idempotency key", request.setting(EntryHeaders.idempotencyKey, "sha256:XYZ"), .request(.idempotencyKeyInvalid), 400),
                ("no idempotency key", request.setting(EntryHeaders.idempotencyKey, nil), .request(.idempotencyKeyMissing), 400),
                ("the path", path, .request(.requestMismatch), 400),
                ("a query after the path", query, .request(.requestMismatch), 400),
                ("the method", method, .request(.requestMismatch), 400),
                ("the content type", request.setting(EntryHeaders.contentType, "text/plain"), .request(.contentTypeMismatch), 400),
                ("no content type", request.setting(EntryHeaders.contentType, nil), .request(.contentTypeMismatch), 400),
            ]
            for (what, tampered, code, status) in cases {
                let refusal = try refusal(tampered)
                #expect(refusal?.code == code, "\(entry.metadata.kind) with \(what) changed")
                #expect(refusal?.status == status, "\(entry.metadata.kind) with \(what) changed")
            }
        }
    }

    @Test("an entry signed by a key the receiver does not trust is refused 403")
    func untrustedKey() throws {
        let stranger = Signer()
        let refusal = try refusal(EntryRequest(entry: try stranger.entry()))
        #expect(refusal?.code == .entry(.keyUntrusted))
        #expect(refusal?.status == 403)
        #expect(refusal?.code.description == "key_untrusted")
    }

    @Test("a well-signed tombstone whose body the spool verifier would refuse is refused by the same parser")
    func invalidTombstoneBody() throws {
        let bad = try signer.entry(kind: .tombstone, sequence: 3, body: Array(#"{"type":"tombstone"}"#.utf8))
        #expect(try refusal(EntryRequest(entry: bad))?.code == .entry(.tombstoneInvalid))
        let future = try signer.tombstone(sequence: 3, dropped: SequenceRange(first: 2, last: 5))
        #expect(try refusal(EntryRequest(entry: future))?.code == .entry(.tombstoneInvalid))
    }

    @Test("header names are matched without regard to case, as HTTP does")
    func headerNamesIgnoreCase() throws {
        var request = EntryRequest(entry: try signer.entry())
        request.headers = request.headers.map { EntryRequest.Header(name: $0.name.uppercased(), value: $0.value) }
        #expect(throws: Never.self) { try read(request).get() }
    }

    @Test("the tombstone body's bytes are compact JSON with sorted keys, as signed")
    func tombstoneBytes() throws {
        let body = TombstoneBody(installation: "i", dropped: SequenceRange(first: 1, last: 4), entries: 4, bytes: 4096, reason: .maxAge, limit: 60)
        #expect(
            String(decoding: try body.encoded(), as: UTF8.self)
                == #"{"bytes":4096,"dropped":{"first":1,"last":4},"entries":4,"installation":"i","limit":60,"reason":"max_age","schema":1,"type":"tombstone"}"#
                + "\n")
    }

    @Test("missing minus declared lost: only sequences no tombstone declares remain missing")
    func subtractingLosses() {
        let missing = [SequenceRange(first: 2, last: 9), SequenceRange(first: 12, last: 12)]
        let lost = [SequenceRange(first: 4, last: 5), SequenceRange(first: 9, last: 12)]
        #expect(SequenceRange.subtract(lost, from: missing) == [SequenceRange(first: 2, last: 3), SequenceRange(first: 6, last: 8)])
    }
}
