import Crypto
import FoundationEssentials
import SpoolFormat

/// The manifest of an exported batch: which files the batch holds, with their SHA-256, and where
/// the batch sits in its installation's chain. Specified byte for byte in docs/FORMAT.md.
///
/// It is in `sha256sum` format so an auditor checks the files with `sha256sum -c MANIFEST`; the
/// batch's place in the chain is in comment lines (`# key: value`), which `sha256sum` skips
/// without a warning. `MANIFEST.sig` is an SSHSIG over the manifest's bytes in its own
/// namespace, so an entry signature can never pass for a manifest signature or the reverse.
public struct BatchManifest: Equatable, Sendable {
    /// The SSHSIG namespace of manifest signatures.
    public static let namespace = "telemetry-spool-manifest@v1"
    public static let fileName = "MANIFEST"
    public static let signatureFileName = "MANIFEST.sig"
    public static let allowedSignersFileName = "allowed_signers"
    public static let formatVersion = 1
    /// Larger manifests are refused before parsing (about 1.3 million entries).
    public static let maxBytes = 256 << 20

    /// One `DIGEST  NAME` line.
    public struct File: Equatable, Sendable {
        public var name: String
        public var sha256: EntryDigest

        public init(name: String, sha256: EntryDigest) {
            self.name = name
            self.sha256 = sha256
        }

        public init(name: String, contents: [UInt8]) {
            self.init(name: name, sha256: .of(message: contents))
        }
    }

    public var installation: String
    /// The sequences of the batch's first and last entries; every entry between is in the batch.
    public var first: UInt64
    public var last: UInt64
    /// The `previous` link of entry `first`: the digest of the entry before the batch.
    public var previous: EntryDigest
    /// The digest of entry `last`: the head of the chain when the batch was made.
    public var head: EntryDigest
    /// When the batch was made, UTC, seconds.
    public var exported: String
    /// `allowed_signers`, then each entry's `.json.gz` and `.json.gz.sig`, by sequence.
    public var files: [File]

    public init(installation: String, first: UInt64, last: UInt64, previous: EntryDigest, head: EntryDigest, exported: Date, files: [File]) {
        self.installation = installation
        self.first = first
        self.last = last
        self.previous = previous
        self.head = head
        self.exported = UTCTimestamp.format(exported)
        self.files = files
    }

    /// The entries the batch must hold, `first...last`.
    public var entryNames: [EntryName] { (first...last).map { EntryName(installation: installation, sequence: $0) } }

    /// The file names a complete batch lists, in manifest order.
    public var expectedFileNames: [String] {
        [Self.allowedSignersFileName] + entryNames.flatMap { [$0.entryFile, $0.signatureFile] }
    }

    /// The folder name of a batch: installation, first and last sequence, export time, so that
    /// batches sort by installation, then position in the chain, and a re-export never collides.
    public var batchName: String {
        let time = exported.filter { $0 != "-" && $0 != ":" }
        let lastDigits = EntryName(installation: installation, sequence: last).stem.suffix(10)
        return "\(EntryName(installation: installation, sequence: first).stem)-\(lastDigits)-\(time)"
    }

    /// The manifest file's bytes.
    public func encoded() -> [UInt8] {
        var text = """
            # telemetry-spool-manifest \(Self.formatVersion)
            # installation: \(installation)
            # first: \(first)
            # last: \(last)
            # previous: \(previous)
            # head: \(head)
            # exported: \(exported)

            """
        for file in files { text += "\(file.sha256.hex)  \(file.name)\n" }
        return Array(text.utf8)
    }

    /// Parses a manifest strictly: the header exactly as ``encoded()`` writes it, every file line
    /// `DIGEST  NAME`, the files the header's range calls for in their order, nothing else.
    public static func decode(_ bytes: [UInt8]) throws(BatchManifestError) -> BatchManifest {
        guard bytes.count <= maxBytes else { throw .malformed("larger than \(maxBytes) bytes") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformed("not UTF-8 text") }
        guard text.hasSuffix("\n") else { throw .malformed("does not end with a newline (truncated?)") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 7 else { throw .malformed("has \(lines.count) lines; the header alone has 7") }
        guard lines[0] == "# telemetry-spool-manifest \(formatVersion)" else {
            throw .unsupported("first line is '\(lines[0].prefix(60))', expected '# telemetry-spool-manifest \(formatVersion)'")
        }
        func field(_ index: Int, _ key: String) throws(BatchManifestError) -> String {
            let prefix = "# \(key): "
            guard lines[index].hasPrefix(prefix) else { throw .malformed("line \(index + 1) is not '\(prefix)…'") }
            return String(lines[index].dropFirst(prefix.count))
        }
        let installation = try field(1, "installation")
        guard TextRules.isLowercaseUUID(Substring(installation)) else { throw .malformed("installation '\(installation.prefix(60))' is not a lowercase UUID") }
        guard let first = UInt64(try field(2, "first")), let last = UInt64(try field(3, "last")),
            first >= 1, first <= last, last <= EntryName.maxSequence
        else {
            throw .malformed("first and last are not sequences with 1 <= first <= last")
        }
        guard let previous = EntryDigest(try field(4, "previous")) else { throw .malformed("previous is not sha256:<64 hex digits>") }
        guard let head = EntryDigest(try field(5, "head")) else { throw .malformed("head is not sha256:<64 hex digits>") }
        let exported = try field(6, "exported")
        guard let date = UTCTimestamp.parse(exported), UTCTimestamp.format(date) == exported else {
            throw .malformed("exported '\(exported.prefix(40))' is not a UTC timestamp like 2026-11-25T11:31:24Z")
        }
        var files: [File] = []
        for (index, line) in lines.dropFirst(7).enumerated() {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1].isEmpty, let digest = EntryDigest(EntryDigest.prefix + parts[0]) else {
                throw .malformed("line \(index + 8) is not 'SHA256  NAME'")
            }
            files.append(File(name: String(parts[2]), sha256: digest))
        }
        let manifest = BatchManifest(installation: installation, first: first, last: last, previous: previous, head: head, exported: date, files: files)
        let expected = manifest.expectedFileNames
        guard files.map(\.name) == expected else {
            let listed = Set(files.map(\.name))
            let missing = expected.first { !listed.contains($0) }
            throw .malformed(
                missing.map { "does not list \($0), which entries \(first)...\(last) call for" }
                    ?? "lists files other than allowed_signers and entries \(first)...\(last), or out of order")
        }
        // One spelling per manifest: no leading zeros, no `\r`, no stray spaces.
        guard manifest.encoded() == bytes else { throw .malformed("is not in the canonical form (docs/FORMAT.md)") }
        return manifest
    }

    // MARK: Signature

    /// Signs the manifest's bytes with the installation key; the text of `MANIFEST.sig`.
    public static func sign(_ manifest: [UInt8], key: Curve25519.Signing.PrivateKey) throws -> SSHSignature {
        try SSHSignature.sign(manifest, namespace: namespace, key: key)
    }

    /// Checks `MANIFEST.sig` over the manifest's bytes: the namespace, the signature, and that
    /// `trust` lets the key sign manifests for `installation`. Returns the signing key.
    @discardableResult
    public static func verifySignature(
        manifest: [UInt8], signatureText: [UInt8], installation: String, trust: any SignerTrust
    ) throws(BatchManifestError) -> SSHPublicKey {
        do {
            return try DetachedSignature.check(message: manifest, signatureText: signatureText, namespace: namespace, principal: installation, trust: trust)
        } catch {
            switch error {
            case .mismatch: throw .badSignature("does not match the manifest (changed after signing, or signed over other bytes)")
            case .invalid(let why): throw .badSignature(why)
            case .untrusted(let key): throw .untrustedKey(fingerprint: key.fingerprint, installation: installation)
            }
        }
    }

    /// The batch's `allowed_signers` line: the installation's key for entries and manifests, so
    /// one file serves both `ssh-keygen -Y verify` checks.
    public static func allowedSignersLine(installation: String, key: SSHPublicKey) -> String {
        AllowedSigners.line(principal: installation, namespace: "\(SpoolEntry.namespace),\(namespace)", key: key)
    }
}

public enum BatchManifestError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unsupported(String)
    case badSignature(String)
    case untrustedKey(fingerprint: String, installation: String)

    /// A stable code for scripts.
    public var code: ProblemCode {
        switch self {
        case .malformed: return .manifestMalformed
        case .unsupported: return .manifestUnsupported
        case .badSignature: return .manifestSignatureInvalid
        case .untrustedKey: return .manifestUntrustedKey
        }
    }

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed manifest: \(why)"
        case .unsupported(let why): return "unsupported manifest: \(why)"
        case .badSignature(let why): return "manifest signature is not valid: \(why)"
        case .untrustedKey(let fingerprint, let installation):
            return "manifest is signed by key \(fingerprint), which is not trusted to sign manifests for installation \(installation)"
        }
    }
}
