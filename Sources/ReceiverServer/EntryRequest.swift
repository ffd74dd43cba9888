import HTTPTypes
import Hummingbird
import SpoolFormat

/// The wire contract of an entry request (docs/PROTOCOL.md): header names and what the receiver
/// answers.
public enum EntryHeaders {
    public static let metadata = "Spool-Metadata"
    public static let signature = "Spool-Signature"
    public static let idempotencyKey = "Idempotency-Key"
}

/// Why an entry request was refused: an HTTP status, a stable code and a message for people.
struct Refusal: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    static func badRequest(_ code: String, _ message: String) -> Refusal { Refusal(status: .badRequest, code: code, message: message) }
}

extension EntryProblem {
    /// 403 for signature and key problems, 400 for everything else.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .badSignature, .untrustedKey, .wrongSigner, .wrongNamespace: return .forbidden
        default: return .badRequest
        }
    }
}

/// Rebuilds the signed entry from a request and verifies it.
struct EntryRequestReader {
    var trust: any SignerTrust

    func read(method: HTTPRequest.Method, path: String, headers: HTTPFields, body: [UInt8]) throws -> SpoolEntry {
        guard let metadataText = headers[HTTPField.Name(EntryHeaders.metadata)!] else {
            throw Refusal.badRequest("metadata_header_missing", "the \(EntryHeaders.metadata) header is missing")
        }
        guard let metadataLine = StrictBase64.decode(metadataText) else {
            throw Refusal.badRequest("metadata_header_invalid", "the \(EntryHeaders.metadata) header is not canonical base64")
        }
        guard let signatureText = headers[HTTPField.Name(EntryHeaders.signature)!] else {
            throw Refusal.badRequest("signature_header_missing", "the \(EntryHeaders.signature) header is missing")
        }
        guard let blob = StrictBase64.decode(signatureText) else {
            throw Refusal.badRequest("signature_header_invalid", "the \(EntryHeaders.signature) header is not canonical base64")
        }
        let signature: SSHSignature
        do {
            signature = try SSHSignature(blob: blob)
        } catch {
            throw Refusal.badRequest("signature_malformed", "the \(EntryHeaders.signature) header holds no SSHSIG blob: \(error)")
        }
        guard let keyText = headers[HTTPField.Name(EntryHeaders.idempotencyKey)!] else {
            throw Refusal.badRequest("idempotency_key_missing", "the \(EntryHeaders.idempotencyKey) header is missing")
        }
        guard let key = EntryDigest(keyText) else {
            throw Refusal.badRequest("idempotency_key_invalid", "the \(EntryHeaders.idempotencyKey) header is not sha256:<64 lowercase hex digits>")
        }
        let entry: SpoolEntry
        switch Self.verify(metadataLine: metadataLine, body: body, signature: signature, trust: trust) {
        case .success(let verified): entry = verified
        case .failure(let problem): throw Refusal(status: problem.httpStatus, code: problem.code, message: problem.description)
        }
        guard entry.digest == key else {
            throw Refusal.badRequest("idempotency_key_mismatch", "the \(EntryHeaders.idempotencyKey) is \(key) but the entry's digest is \(entry.digest)")
        }
        let request = entry.metadata.request
        guard method.rawValue == request.method, path == request.path else {
            throw Refusal.badRequest("request_mismatch", "the entry records \(request.method) \(request.path), but was sent as \(method.rawValue) \(path)")
        }
        let contentType = headers[.contentType] ?? ""
        guard contentType == request.contentType else {
            throw Refusal.badRequest("content_type_mismatch", "the entry records Content-Type \(request.contentType), but was sent with '\(contentType)'")
        }
        return entry
    }

    private static func verify(
        metadataLine: [UInt8], body: [UInt8], signature: SSHSignature, trust: any SignerTrust
    ) -> Result<SpoolEntry, EntryProblem> {
        do {
            return .success(try SpoolEntry.verify(metadataLine: metadataLine, body: body, signature: signature, trust: trust))
        } catch {
            return .failure(error)
        }
    }
}
