import Crypto
import FoundationEssentials

/// An OpenSSH signature (SSHSIG, PROTOCOL.sshsig) made with Ed25519 over a SHA-256 digest.
///
/// This is what `ssh-keygen -Y sign` writes and `ssh-keygen -Y verify` checks, so a stock
/// OpenSSH can verify every entry.
public struct SSHSignature: Equatable, Sendable {
    public static let magic: [UInt8] = Array("SSHSIG".utf8)
    public static let hashAlgorithm = "sha256"
    static let armorBegin = "-----BEGIN SSH SIGNATURE-----"
    static let armorEnd = "-----END SSH SIGNATURE-----"

    public let publicKey: SSHPublicKey
    public let namespace: String
    /// The 64-byte Ed25519 signature.
    public let signature: [UInt8]

    /// Signs `message` in `namespace`.
    public static func sign<M: DataProtocol>(
        _ message: M, namespace: String, key: Curve25519.Signing.PrivateKey
    ) throws -> SSHSignature {
        let toSign = signedData(messageDigest: SHA256.hash(data: message), namespace: namespace)
        let signature = try key.signature(for: toSign)
        return SSHSignature(publicKey: SSHPublicKey(key.publicKey), namespace: namespace, signature: [UInt8](signature))
    }

    /// `"SSHSIG" string(namespace) string("") string("sha256") string(H(message))`.
    static func signedData(messageDigest: SHA256.Digest, namespace: String) -> [UInt8] {
        var w = SSHWireWriter()
        w.raw(magic)
        w.string(namespace)
        w.string("")
        w.string(hashAlgorithm)
        w.string(Array(messageDigest))
        return w.bytes
    }

    /// True when the signature is valid for `message` under the embedded key and `namespace`.
    public func isValid<M: DataProtocol>(for message: M, namespace: String) -> Bool {
        isValid(forDigest: SHA256.hash(data: message), namespace: namespace)
    }

    public func isValid(forDigest digest: SHA256.Digest, namespace: String) -> Bool {
        guard namespace == self.namespace else { return false }
        return publicKey.cryptoKey.isValidSignature(signature, for: Self.signedData(messageDigest: digest, namespace: namespace))
    }

    public var blob: [UInt8] {
        var w = SSHWireWriter()
        w.raw(Self.magic)
        w.uint32(1)
        w.string(publicKey.blob)
        w.string(namespace)
        w.string("")
        w.string(Self.hashAlgorithm)
        var sig = SSHWireWriter()
        sig.string(SSHPublicKey.algorithm)
        sig.string(signature)
        w.string(sig.bytes)
        return w.bytes
    }

    /// Parses a signature blob, accepting only version 1, Ed25519, SHA-256 and an empty reserved field.
    public init(blob: [UInt8]) throws {
        var r = SSHWireReader(blob)
        do {
            guard try r.raw(6) == Self.magic else { throw SSHSignatureError.malformed("missing SSHSIG magic") }
            let version = try r.uint32()
            guard version == 1 else { throw SSHSignatureError.unsupported("SSHSIG version \(version)") }
            let key = try SSHPublicKey(blob: try r.string())
            guard let namespace = try r.text() else { throw SSHSignatureError.malformed("namespace is not UTF-8") }
            guard try r.string().isEmpty else { throw SSHSignatureError.malformed("reserved field is not empty") }
            let hash = try r.text()
            guard hash == Self.hashAlgorithm else { throw SSHSignatureError.unsupported("hash algorithm '\(hash ?? "?")'") }
            var inner = SSHWireReader(try r.string())
            let algorithm = try inner.text()
            guard algorithm == SSHPublicKey.algorithm else { throw SSHSignatureError.unsupported("signature algorithm '\(algorithm ?? "?")'") }
            let signature = try inner.string()
            guard signature.count == 64, inner.isAtEnd else { throw SSHSignatureError.malformed("Ed25519 signature is not 64 bytes") }
            guard r.isAtEnd else { throw SSHSignatureError.malformed("trailing bytes after the signature") }
            self.init(publicKey: key, namespace: namespace, signature: signature)
        } catch is SSHWireReader.Overrun {
            throw SSHSignatureError.malformed("signature blob is truncated")
        } catch let error as SSHKeyError {
            throw SSHSignatureError.malformed(error.description)
        }
    }

    public init(publicKey: SSHPublicKey, namespace: String, signature: [UInt8]) {
        self.publicKey = publicKey
        self.namespace = namespace
        self.signature = signature
    }

    /// The armored text, as `ssh-keygen -Y sign` writes it: base64 wrapped at 70 columns.
    public var armored: String { SSHArmor.text(blob, begin: Self.armorBegin, end: Self.armorEnd) }

    /// Parses armored text strictly: exact armor lines, canonical base64, nothing else.
    public init(armored text: String) throws { try self.init(armored: Array(text.utf8)) }

    /// The same, on the bytes of a signature file: the lines are found and measured as bytes
    /// (measuring them as Swift strings was a tenth of `spooler verify`).
    public init(armored text: [UInt8]) throws {
        // Every armor line ends in a newline, the last one included, as ssh-keygen writes it.
        guard text.last == 0x0a else { throw SSHSignatureError.malformed("the armor's last line does not end in a newline") }
        let lines = text.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false)
        guard lines.count >= 3, lines[0].elementsEqual(Self.armorBegin.utf8), lines[lines.count - 1].elementsEqual(Self.armorEnd.utf8) else {
            throw SSHSignatureError.malformed("not an armored SSH signature (BEGIN/END SSH SIGNATURE lines)")
        }
        let body = lines[1..<lines.count - 1]
        guard body.dropLast().allSatisfy({ $0.count == 70 }), let last = body.last, (1...70).contains(last.count) else {
            throw SSHSignatureError.malformed("armor lines are not wrapped at 70 columns")
        }
        guard let blob = StrictBase64.decode(String(decoding: Array(body.joined()), as: UTF8.self)) else {
            throw SSHSignatureError.malformed("signature is not canonical base64")
        }
        try self.init(blob: blob)
    }
}

public enum SSHSignatureError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .malformed(let why): return "malformed signature: \(why)"
        case .unsupported(let what): return "unsupported signature: \(what)"
        }
    }
}
