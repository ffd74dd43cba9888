import SpoolFormat

/// The header names of an entry request (docs/PROTOCOL.md), declared once for both sides.
public enum EntryHeaders {
    public static let metadata = "Spool-Metadata"
    public static let signature = "Spool-Signature"
    public static let idempotencyKey = "Idempotency-Key"
    public static let contentType = "Content-Type"
}

/// One entry as an HTTP request, without HTTP: the method, the request target, the header fields
/// and the body. The client half builds it from a verified entry (``init(entry:)``); the server
/// half reads one back into a verified entry (``EntryRequestReader``). HTTP libraries only adapt
/// their own request types to and from it.
public struct EntryRequest: Sendable, Equatable {
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var method: String
    /// The request target: the recorded path, sent and compared exactly as recorded.
    public var path: String
    public var headers: [Header]
    public var body: [UInt8]

    public init(method: String, path: String, headers: [Header], body: [UInt8]) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// The request an entry records. Every verified entry's path follows ``RequestPath``, so it
    /// needs no encoding: appended to the endpoint's base URL, it reaches the receiver unchanged.
    public init(entry: SpoolEntry) {
        let request = entry.metadata.request
        self.init(
            method: request.method, path: request.path,
            headers: [
                Header(name: EntryHeaders.contentType, value: request.contentType),
                Header(name: EntryHeaders.metadata, value: StrictBase64.encode(entry.metadataLine)),
                Header(name: EntryHeaders.signature, value: StrictBase64.encode(entry.signature.blob)),
                Header(name: EntryHeaders.idempotencyKey, value: entry.digest.description),
            ], body: entry.body)
    }

    /// The value of the first field named `name` (field names are case-insensitive in HTTP).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The URL to send the request to: the endpoint's base URL without trailing `/`, then the path.
    public func url(endpoint: String) -> String {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }
}

/// Why the server half refused an entry request: an HTTP status, a stable code and a message.
public struct EntryRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request's own codes, beside those of the entry it carries.
    public enum RequestCode: String, Sendable, CaseIterable {
        case metadataHeaderMissing = "metadata_header_missing"
        case metadataHeaderInvalid = "metadata_header_invalid"
        case signatureHeaderMissing = "signature_header_missing"
        case signatureHeaderInvalid = "signature_header_invalid"
        case idempotencyKeyMissing = "idempotency_key_missing"
        case idempotencyKeyInvalid = "idempotency_key_invalid"
        case idempotencyKeyMismatch = "idempotency_key_mismatch"
        case requestMismatch = "request_mismatch"
        case contentTypeMismatch = "content_type_mismatch"
    }

    public enum Code: Sendable, Equatable, CustomStringConvertible {
        case request(RequestCode)
        case entry(ProblemCode)

        /// What the receiver answers in `{"error":{"code":…}}`.
        public var description: String {
            switch self {
            case .request(let code): return code.rawValue
            case .entry(let code): return code.rawValue
            }
        }
    }

    public var code: Code
    /// 400, or 403 for signature and key problems.
    public var status: Int
    public var message: String

    public init(_ code: Code, status: Int = 400, _ message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    init(_ problem: EntryProblem) {
        self.init(.entry(problem.code), status: Self.status(of: problem), problem.description)
    }

    public var description: String { "\(code): \(message)" }

    /// 403 for signature and key problems, 400 for everything else.
    static func status(of problem: EntryProblem) -> Int {
        switch problem {
        case .badSignature, .untrustedKey, .wrongSigner, .wrongNamespace: return 403
        case .unreadable, .tooLarge, .gzip, .metadataLineMissing, .signatureMalformed, .keyMismatch, .unsupportedFormat,
            .metadataInvalid, .requestPathInvalid, .bodyMismatch:
            return 400
        }
    }
}

/// The server half: rebuilds the signed entry from a request and verifies it as a spool verifier
/// would (the same entry checks, the same tombstone parser), then checks that the request is
/// exactly the one the entry records.
public struct EntryRequestReader: Sendable {
    public var trust: any SignerTrust

    public init(trust: any SignerTrust) { self.trust = trust }

    public func read(_ request: EntryRequest) throws(EntryRefusal) -> SpoolEntry {
        guard let metadataText = request.header(EntryHeaders.metadata) else {
            throw EntryRefusal(.request(.metadataHeaderMissing), "the \(EntryHeaders.metadata) header is missing")
        }
        guard let metadataLine = StrictBase64.decode(metadataText) else {
            throw EntryRefusal(.request(.metadataHeaderInvalid), "the \(EntryHeaders.metadata) header is not canonical base64")
        }
        guard let signatureText = request.header(EntryHeaders.signature) else {
            throw EntryRefusal(.request(.signatureHeaderMissing), "the \(EntryHeaders.signature) header is missing")
        }
        guard let blob = StrictBase64.decode(signatureText) else {
            throw EntryRefusal(.request(.signatureHeaderInvalid), "the \(EntryHeaders.signature) header is not canonical base64")
        }
        let signature: SSHSignature
        do {
            signature = try SSHSignature(blob: blob)
        } catch {
            throw EntryRefusal(.entry(.signatureMalformed), "the \(EntryHeaders.signature) header holds no SSHSIG blob: \(error)")
        }
        guard let keyText = request.header(EntryHeaders.idempotencyKey) else {
            throw EntryRefusal(.request(.idempotencyKeyMissing), "the \(EntryHeaders.idempotencyKey) header is missing")
        }
        guard let key = EntryDigest(keyText) else {
            throw EntryRefusal(.request(.idempotencyKeyInvalid), "the \(EntryHeaders.idempotencyKey) header is not sha256:<64 lowercase hex digits>")
        }
        let entry: SpoolEntry
        do {
            entry = try SpoolEntry.verify(metadataLine: metadataLine, body: request.body, signature: signature, trust: trust)
        } catch {
            throw EntryRefusal(error)
        }
        guard entry.digest == key else {
            throw EntryRefusal(.request(.idempotencyKeyMismatch), "the \(EntryHeaders.idempotencyKey) is \(key) but the entry's digest is \(entry.digest)")
        }
        let recorded = entry.metadata.request
        guard request.method == recorded.method, request.path == recorded.path else {
            throw EntryRefusal(
                .request(.requestMismatch), "the entry records \(recorded.method) \(recorded.path), but was sent as \(request.method) \(request.path)")
        }
        let contentType = request.header(EntryHeaders.contentType) ?? ""
        guard contentType == recorded.contentType else {
            throw EntryRefusal(.request(.contentTypeMismatch), "the entry records Content-Type \(recorded.contentType), but was sent with '\(contentType)'")
        }
        if entry.metadata.kind == .tombstone, TombstoneBody.decode(entry.body, entry: entry.metadata) == nil {
            throw EntryRefusal(.entry(.tombstoneInvalid), TombstoneBody.invalidMessage)
        }
        return entry
    }
}
