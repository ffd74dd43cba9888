import Crypto
import FoundationEssentials
import SpoolFormat

/// A receipt for one installation: which of its entries the endpoint accepted (201 stored or 200
/// duplicate), and how far the chain is covered from its start. Written by `uploader receipt`,
/// carried back, applied by `spooler ack`. Specified byte for byte in docs/FORMAT.md.
///
/// Text an auditor reads as is; `RECEIPT.sig` beside it is an SSHSIG by the uploader's own key in
/// its own namespace, so no entry or manifest signature can pass for a receipt signature.
public struct DeliveryReceipt: Equatable, Sendable {
    public static let namespace = "telemetry-spool-receipt@v1"
    /// The principal of uploader keys in allowed_signers files (`trusted_uploaders`).
    public static let principal = "uploader"
    public static let signatureSuffix = ".sig"
    public static let formatVersion = 1
    /// Larger receipts are refused before parsing (about 2.5 million entries).
    public static let maxBytes = 256 << 20

    /// One `delivered SEQUENCE DIGEST` line.
    public struct Delivered: Equatable, Sendable {
        public var sequence: UInt64
        public var digest: EntryDigest

        public init(sequence: UInt64, digest: EntryDigest) {
            self.sequence = sequence
            self.digest = digest
        }
    }

    public var installation: String
    /// When the uploader wrote the receipt, UTC, seconds. A spooler applies receipts in this order.
    public var issued: String
    /// The highest sequence `n` such that every sequence `1...n` was delivered or declared lost.
    public var contiguous: UInt64
    /// Delivered entries, by sequence.
    public var delivered: [Delivered]
    /// Ranges that tombstones declared removed (lost), by first sequence.
    public var lost: [SequenceRange]

    public init(installation: String, issued: Date, delivered: [Delivered], lost: [SequenceRange]) {
        self.installation = installation
        self.issued = UTCTimestamp.format(issued)
        self.delivered = delivered.sorted { $0.sequence < $1.sequence }
        self.lost = lost.sorted { ($0.first, $0.last) < ($1.first, $1.last) }
        contiguous = Self.contiguousMark(delivered: self.delivered.map(\.sequence), lost: self.lost)
    }

    /// The highest `n` with every sequence of `1...n` in `delivered` or in a `lost` range; 0 when
    /// sequence 1 is neither. A declared loss counts as covered: its entries are gone for good.
    public static func contiguousMark(delivered: [UInt64], lost: [SequenceRange]) -> UInt64 {
        var covered = lost.map { ($0.first, $0.last) } + delivered.map { ($0, $0) }
        covered.sort { $0 < $1 }
        var mark: UInt64 = 0
        for (first, last) in covered {
            guard first <= mark + 1 else { break }
            mark = max(mark, last)
        }
        return mark
    }

    /// The receipt file's bytes.
    public func encoded() -> [UInt8] {
        var text = """
            # telemetry-spool-receipt \(Self.formatVersion)
            # installation: \(installation)
            # issued: \(issued)
            # contiguous: \(contiguous)

            """
        // Lines by sequence; a loss sorts by its first sequence, before a delivery at the same one.
        var lines: [(UInt64, Int, String)] = lost.map { ($0.first, 0, "lost \($0.first) \($0.last)") }
        lines += delivered.map { ($0.sequence, 1, "delivered \($0.sequence) \($0.digest)") }
        lines.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for line in lines { text += line.2 + "\n" }
        return Array(text.utf8)
    }

    /// The SHA-256 of the receipt's bytes: how applied receipts are remembered.
    public static func digest(of bytes: [UInt8]) -> EntryDigest { .of(message: bytes) }

    /// Parses a receipt strictly: the header exactly as ``encoded()`` writes it, then `lost` and
    /// `delivered` lines in order, nothing else, in the canonical spelling.
    public static func decode(_ bytes: [UInt8]) throws(DeliveryReceiptError) -> DeliveryReceipt {
        guard bytes.count <= maxBytes else { throw .malformed("larger than \(maxBytes) bytes") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformed("not UTF-8 text") }
        guard text.hasSuffix("\n") else { throw .malformed("does not end with a newline (truncated?)") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4 else { throw .malformed("has \(lines.count) lines; the header alone has 4") }
        guard lines[0] == "# telemetry-spool-receipt \(formatVersion)" else {
            throw .malformed("first line is '\(lines[0].prefix(60))', expected '# telemetry-spool-receipt \(formatVersion)'")
        }
        func field(_ index: Int, _ key: String) throws(DeliveryReceiptError) -> String {
            let prefix = "# \(key): "
            guard lines[index].hasPrefix(prefix) else { throw .malformed("line \(index + 1) is not '\(prefix)…'") }
            return String(lines[index].dropFirst(prefix.count))
        }
        let installation = try field(1, "installation")
        guard TextRules.isLowercaseUUID(Substring(installation)) else { throw .malformed("installation '\(installation.prefix(60))' is not a lowercase UUID") }
        let issued = try field(2, "issued")
        guard let date = UTCTimestamp.parse(issued), UTCTimestamp.format(date) == issued else {
            throw .malformed("issued '\(issued.prefix(40))' is not a UTC timestamp like 2026-11-25T11:31:24Z")
        }
        guard let contiguous = UInt64(try field(3, "contiguous")) else { throw .malformed("contiguous is not a sequence number") }
        var delivered: [Delivered] = []
        var lost: [SequenceRange] = []
        for (index, line) in lines.dropFirst(4).enumerated() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            if parts.count == 3, parts[0] == "delivered", let sequence = UInt64(parts[1]), sequence >= 1,
                sequence <= EntryName.maxSequence, let digest = EntryDigest(String(parts[2]))
            {
                delivered.append(Delivered(sequence: sequence, digest: digest))
            } else if parts.count == 3, parts[0] == "lost", let first = UInt64(parts[1]), let last = UInt64(parts[2]),
                first >= 1, first <= last, last <= EntryName.maxSequence
            {
                lost.append(SequenceRange(first: first, last: last))
            } else {
                throw .malformed("line \(index + 5) is neither 'delivered SEQUENCE sha256:HEX' nor 'lost FIRST LAST'")
            }
        }
        guard Set(delivered.map(\.sequence)).count == delivered.count else { throw .malformed("lists a sequence as delivered twice") }
        let receipt = DeliveryReceipt(installation: installation, issued: date, delivered: delivered, lost: lost)
        guard receipt.contiguous == contiguous else {
            throw .malformed("contiguous is \(contiguous), but the listed lines cover 1...\(receipt.contiguous)")
        }
        // One spelling per receipt: no leading zeros, no `\r`, lines in order.
        guard receipt.encoded() == bytes else { throw .malformed("is not in the canonical form (docs/FORMAT.md)") }
        return receipt
    }

    // MARK: Signature

    /// Signs the receipt's bytes with the uploader key; the text of `RECEIPT.sig`.
    public static func sign(_ receipt: [UInt8], key: Curve25519.Signing.PrivateKey) throws -> SSHSignature {
        try SSHSignature.sign(receipt, namespace: namespace, key: key)
    }

    /// Checks `RECEIPT.sig` over the receipt's bytes: the namespace, the signature, and that
    /// `trust` lets the key sign receipts as principal ``principal``. Returns the signing key.
    @discardableResult
    public static func verifySignature(receipt: [UInt8], signatureText: [UInt8], trust: any SignerTrust) throws(DeliveryReceiptError) -> SSHPublicKey {
        do {
            return try DetachedSignature.check(message: receipt, signatureText: signatureText, namespace: namespace, principal: principal, trust: trust)
        } catch {
            switch error {
            case .mismatch: throw .badSignature("does not match the receipt (changed after signing, or signed over other bytes)")
            case .invalid(let why): throw .badSignature(why)
            case .untrusted(let key): throw .untrustedKey(fingerprint: key.fingerprint)
            }
        }
    }

    /// The allowed_signers line that lets a spooler trust this uploader key for receipts.
    public static func allowedSignersLine(key: SSHPublicKey) -> String {
        AllowedSigners.line(principal: principal, namespace: namespace, key: key)
    }
}

public enum DeliveryReceiptError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case badSignature(String)
    case untrustedKey(fingerprint: String)

    /// A stable code for scripts.
    public var code: ProblemCode {
        switch self {
        case .malformed: return .receiptMalformed
        case .badSignature: return .receiptSignatureInvalid
        case .untrustedKey: return .receiptUntrustedKey
        }
    }

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed receipt: \(why)"
        case .badSignature(let why): return "receipt signature is not valid: \(why)"
        case .untrustedKey(let fingerprint):
            return
                "receipt is signed by key \(fingerprint), which trusted_uploaders does not trust to sign receipts (principal '\(DeliveryReceipt.principal)', namespace '\(DeliveryReceipt.namespace)')"
        }
    }
}
