import Crypto
import FoundationEssentials

/// One spool entry: metadata, body and signature, checked or freshly made.
///
/// On disk it is `NAME.json.gz` (gzip member 1: the metadata line and a newline; member 2: the
/// body) and `NAME.json.gz.sig` (an armored SSHSIG over exactly what `zcat NAME.json.gz` prints).
public struct SpoolEntry: Sendable {
    /// The SSHSIG namespace of entry signatures.
    public static let namespace = "telemetry-spool-entry@v1"

    public let metadata: EntryMetadata
    /// The metadata line as stored and signed, without its newline.
    public let metadataLine: [UInt8]
    /// The exact request body.
    public let body: [UInt8]
    public let signature: SSHSignature
    /// SHA-256 of ``message``.
    public let digest: EntryDigest

    public var name: EntryName { EntryName(installation: metadata.installation, sequence: metadata.sequence) }

    /// The signed message: the metadata line, a newline, the body (what `zcat` prints).
    public var message: [UInt8] { Self.message(metadataLine: metadataLine, body: body) }

    static func message(metadataLine: [UInt8], body: [UInt8]) -> [UInt8] {
        var m = metadataLine
        m.reserveCapacity(metadataLine.count + 1 + body.count)
        m.append(0x0a)
        m.append(contentsOf: body)
        return m
    }

    /// Makes and signs a new entry.
    public static func make(metadata: EntryMetadata, body: [UInt8], signingKey: Curve25519.Signing.PrivateKey) throws -> SpoolEntry {
        let line = try metadata.encodedLine()
        let message = Self.message(metadataLine: line, body: body)
        let signature = try SSHSignature.sign(message, namespace: namespace, key: signingKey)
        return SpoolEntry(metadata: metadata, metadataLine: line, body: body, signature: signature, digest: .of(message: message))
    }

    private init(metadata: EntryMetadata, metadataLine: [UInt8], body: [UInt8], signature: SSHSignature, digest: EntryDigest) {
        self.metadata = metadata
        self.metadataLine = metadataLine
        self.body = body
        self.signature = signature
        self.digest = digest
    }

    /// The `.json.gz` file: two gzip members.
    public func compressedFile() throws -> [UInt8] {
        try Gzip.compressMember(metadataLine + [0x0a]) + Gzip.compressMember(body)
    }

    /// The `.json.gz.sig` file.
    public var signatureFile: String { signature.armored }

    // MARK: Reading

    public struct Limits: Sendable {
        public var maxFileBytes = 1 << 20
        public var maxSignatureBytes = 4096
        public var maxMetadataBytes = 16 * 1024
        public var gzip = Gzip.Limits(maxOutputBytes: 8 << 20, maxRatio: 250)
        public init() {}
    }

    /// Reads and checks an entry from the bytes of its two files.
    ///
    /// Checks, in order: sizes; gzip structure, CRCs and member count; the signature (before any
    /// JSON is parsed); the key's trust; the metadata schema; that the metadata names the signing
    /// key and describes the body.
    public static func open(
        compressed: [UInt8], signatureText: [UInt8], trust: any SignerTrust, limits: Limits = Limits()
    ) throws(EntryProblem) -> SpoolEntry {
        guard compressed.count <= limits.maxFileBytes else {
            throw .tooLarge(.entryFile, limit: limits.maxFileBytes)
        }
        let signature = try parseSignature(signatureText, limits: limits)
        let members: [[UInt8]]
        do {
            members = try Gzip.decompressMembers(compressed, expectedMembers: 2, limits: limits.gzip, requireCanonicalHeader: true)
        } catch Gzip.Failure.tooLarge(let limit) {
            throw .tooLarge(.decompressed, limit: limit)
        } catch Gzip.Failure.ratioExceeded(let limit) {
            throw .tooLarge(.ratio, limit: limit)
        } catch let failure as Gzip.Failure {
            throw .gzip(failure)
        } catch {
            throw .unreadable("\(error)")
        }
        var line = members[0]
        guard line.last == 0x0a else { throw .metadataLineMissing }
        line.removeLast()
        guard !line.contains(0x0a) else { throw .metadataLineMissing }
        return try verify(metadataLine: line, body: members[1], signature: signature, trust: trust, limits: limits)
    }

    /// Checks an entry received as a request: the metadata line and signature from headers, the body as sent.
    ///
    /// The metadata line and message limits are checked here, so that an entry refused on disk is
    /// refused over the wire too.
    public static func verify(
        metadataLine: [UInt8], body: [UInt8], signature: SSHSignature, trust: any SignerTrust, limits: Limits = Limits()
    ) throws(EntryProblem) -> SpoolEntry {
        guard metadataLine.count <= limits.maxMetadataBytes else { throw .tooLarge(.metadataLine, limit: limits.maxMetadataBytes) }
        guard metadataLine.count + 1 + body.count <= limits.gzip.maxOutputBytes else {
            throw .tooLarge(.decompressed, limit: limits.gzip.maxOutputBytes)
        }
        let message = Self.message(metadataLine: metadataLine, body: body)
        let digest = SHA256.hash(data: message)
        guard signature.namespace == namespace else { throw .wrongNamespace(signature.namespace) }
        guard signature.isValid(forDigest: digest, namespace: namespace) else { throw .badSignature }
        let fingerprint = signature.publicKey.fingerprint
        guard trust.knows(signature.publicKey, namespace: namespace) else { throw .untrustedKey(fingerprint: fingerprint) }
        let metadata = try EntryMetadata.decode(line: metadataLine)
        guard trust.allows(signature.publicKey, principal: metadata.installation, namespace: namespace) else {
            throw .wrongSigner(fingerprint: fingerprint, installation: metadata.installation)
        }
        guard metadata.key == fingerprint else { throw .keyMismatch(metadata: metadata.key, signature: fingerprint) }
        guard metadata.bodyLength == body.count else {
            throw .bodyMismatch("body has \(body.count) bytes, metadata says \(metadata.bodyLength)")
        }
        guard metadata.bodySHA256 == EntryDigest.of(message: body).hex else {
            throw .bodyMismatch("body SHA-256 differs from the metadata's bodySHA256")
        }
        return SpoolEntry(metadata: metadata, metadataLine: metadataLine, body: body, signature: signature, digest: EntryDigest(digest))
    }

    public static func parseSignature(_ text: [UInt8], limits: Limits = Limits()) throws(EntryProblem) -> SSHSignature {
        guard text.count <= limits.maxSignatureBytes else {
            throw .tooLarge(.signatureFile, limit: limits.maxSignatureBytes)
        }
        guard String(validating: text, as: UTF8.self) != nil else { throw .signatureMalformed("signature file is not text") }
        do {
            return try SSHSignature(armored: text)
        } catch {
            throw .signatureMalformed("\(error)")
        }
    }
}
