import FoundationEssentials

/// What an entry is: a report, or a tombstone declaring entries dropped by a spool limit.
public enum EntryKind: String, Codable, Sendable {
    case report
    case tombstone
}

/// The HTTP request an entry records, replayed by the uploader.
public struct ReplayRequest: Codable, Equatable, Sendable {
    public var method: String
    public var path: String
    public var contentType: String

    public init(method: String = "POST", path: String = "/api/telemetry", contentType: String = "application/json") {
        self.method = method
        self.path = path
        self.contentType = contentType
    }
}

/// The first gzip member of an entry: one line of JSON, specified in docs/FORMAT.md.
public struct EntryMetadata: Codable, Equatable, Sendable {
    /// The entry format this code writes and the only one it reads.
    public static let currentFormat = 1

    public var format: Int
    public var kind: EntryKind
    /// The installation ID: a lowercase UUID.
    public var installation: String
    /// 1 for an installation's first entry, then rising by one.
    public var sequence: UInt64
    /// Creation time, UTC, RFC 3339 with second precision (`2026-11-25T11:31:24Z`).
    public var created: String
    public var productVersion: String
    /// The body's payload schema version.
    public var schema: Int
    /// Digest of the previous entry's message; all zero for sequence 1.
    public var previous: EntryDigest
    /// Fingerprint of the signing key, as `ssh-keygen -l` prints it.
    public var key: String
    public var request: ReplayRequest
    public var bodyLength: Int
    public var bodySHA256: String

    public init(
        kind: EntryKind, installation: String, sequence: UInt64, created: Date, productVersion: String,
        schema: Int, previous: EntryDigest, key: String, request: ReplayRequest, body: [UInt8]
    ) {
        self.format = Self.currentFormat
        self.kind = kind
        self.installation = installation
        self.sequence = sequence
        self.created = Self.timestamp(created)
        self.productVersion = productVersion
        self.schema = schema
        self.previous = previous
        self.key = key
        self.request = request
        self.bodyLength = body.count
        self.bodySHA256 = EntryDigest.of(message: body).hex
    }

    /// Every field as read, for a reader that checks them itself (`CanonicalMetadataLine`).
    init(
        format: Int, kind: EntryKind, installation: String, sequence: UInt64, created: String, productVersion: String,
        schema: Int, previous: EntryDigest, key: String, request: ReplayRequest, bodyLength: Int, bodySHA256: String
    ) {
        self.format = format
        self.kind = kind
        self.installation = installation
        self.sequence = sequence
        self.created = created
        self.productVersion = productVersion
        self.schema = schema
        self.previous = previous
        self.key = key
        self.request = request
        self.bodyLength = bodyLength
        self.bodySHA256 = bodySHA256
    }

    static let fieldNames: Set<String> = [
        "format", "kind", "installation", "sequence", "created", "productVersion", "schema",
        "previous", "key", "request", "bodyLength", "bodySHA256",
    ]
    static let requestFieldNames: Set<String> = ["method", "path", "contentType"]

    public static func timestamp(_ date: Date) -> String { UTCTimestamp.format(date) }

    public var createdDate: Date? { UTCTimestamp.parse(created) }

    /// The metadata line: compact JSON with sorted keys and no newline.
    public func encodedLine() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(self))
    }

    /// The metadata line as ``encodedLine()`` writes it, with placeholders (`"<sequence>"`,
    /// `"<created>"`, `"<previous>"`) for the fields only the writer fixes when it appends the
    /// entry; when `identityKnown` is false, also for the installation and key (made on first use).
    /// What `spooler preview` shows as the first line of an entry.
    public func previewLine(identityKnown: Bool = true) throws -> String {
        var line = String(decoding: try encodedLine(), as: UTF8.self)
        // The keys are unique and sorted and every string value has its quotes escaped, so each
        // `"name":value` below occurs exactly once, at the top level.
        func placeholder(_ name: String, _ encodedValue: String) {
            line = line.replacing("\"\(name)\":\(encodedValue)", with: "\"\(name)\":\"<\(name)>\"")
        }
        placeholder("sequence", "\(sequence)")
        placeholder("created", "\"\(created)\"")
        placeholder("previous", "\"\(previous)\"")
        if !identityKnown {
            placeholder("installation", "\"\(installation)\"")
            placeholder("key", "\"\(key)\"")
        }
        return line
    }

    /// Decodes and validates a metadata line: exactly the known fields, each well-formed.
    public static func decode(line: [UInt8]) throws(EntryProblem) -> EntryMetadata {
        try decode(line: line, canonicalReader: true)
    }

    /// `canonicalReader: false` reads every line with `JSONDecoder`: the tests and the entry
    /// fuzzer compare the two.
    @_spi(Differential) public static func decode(line: [UInt8], canonicalReader: Bool) throws(EntryProblem) -> EntryMetadata {
        if canonicalReader, let metadata = CanonicalMetadataLine.read(line) {
            try metadata.validate()
            return metadata
        }
        if let problem = StrictJSON.problem(line) { throw .metadataInvalid("metadata line \(problem)") }
        let metadata: EntryMetadata
        do {
            metadata = try JSONDecoder().decode(StrictMetadata.self, from: Data(line)).metadata
        } catch let problem as EntryProblem {
            throw problem
        } catch {
            throw .metadataInvalid("metadata does not match format \(currentFormat) (\(Self.describe(error)))")
        }
        try metadata.validate()
        return metadata
    }

    func validate() throws(EntryProblem) {
        guard TextRules.isLowercaseUUID(installation) else {
            throw .metadataInvalid("installation '\(installation)' is not a lowercase UUID")
        }
        guard sequence >= 1, sequence <= EntryName.maxSequence else { throw .metadataInvalid("sequence \(sequence) is out of range") }
        guard let date = createdDate, Self.timestamp(date) == created else {
            throw .metadataInvalid("created '\(created)' is not a UTC timestamp like 2026-11-25T11:31:24Z")
        }
        guard TextRules.isVersion(productVersion) else {
            throw .metadataInvalid("productVersion '\(productVersion)' is not a version string")
        }
        guard (1...1000).contains(schema) else { throw .metadataInvalid("schema \(schema) is out of range") }
        guard sequence != 1 || previous == .genesis else { throw .metadataInvalid("sequence 1 must link the all-zero digest") }
        guard ["POST", "PUT"].contains(request.method) else { throw .metadataInvalid("request method '\(request.method)' is not POST or PUT") }
        guard RequestPath.isValid(request.path) else { throw .requestPathInvalid(request.path) }
        guard request.contentType == "application/json" else { throw .metadataInvalid("content type '\(request.contentType)' is not application/json") }
        guard bodyLength >= 0, bodySHA256.utf8.count == 64, bodySHA256.utf8.allSatisfy(TextRules.isLowerHex) else {
            throw .metadataInvalid("bodyLength or bodySHA256 is malformed")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, _):
            return "missing \(key.stringValue)"
        default:
            return "\(error)"
        }
    }
}

/// Decodes metadata and refuses unknown or missing fields in the same pass.
private struct StrictMetadata: Decodable {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var metadata: EntryMetadata

    init(from decoder: any Decoder) throws {
        let raw = try decoder.container(keyedBy: AnyKey.self)
        // The format is checked first, so a newer entry is reported as such, not as malformed.
        if let format = try? raw.decode(Int.self, forKey: AnyKey(stringValue: "format")), format != EntryMetadata.currentFormat {
            throw EntryProblem.unsupportedFormat(format)
        }
        let keys = Set(raw.allKeys.map(\.stringValue))
        guard keys == EntryMetadata.fieldNames else {
            let unknown = keys.subtracting(EntryMetadata.fieldNames).sorted()
            let missing = EntryMetadata.fieldNames.subtracting(keys).sorted()
            throw EntryProblem.metadataInvalid("metadata fields differ from format \(EntryMetadata.currentFormat): unknown \(unknown), missing \(missing)")
        }
        let request = try raw.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey(stringValue: "request"))
        guard Set(request.allKeys.map(\.stringValue)) == EntryMetadata.requestFieldNames else {
            throw EntryProblem.metadataInvalid("'request' must hold exactly method, path and contentType")
        }
        metadata = try EntryMetadata(from: decoder)
    }
}
