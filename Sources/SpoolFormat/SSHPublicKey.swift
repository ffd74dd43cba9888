import Crypto
import FoundationEssentials

/// An Ed25519 public key in OpenSSH form.
public struct SSHPublicKey: Hashable, Sendable {
    public static let algorithm = "ssh-ed25519"

    /// The 32 raw key bytes.
    public let raw: [UInt8]

    public init(raw: [UInt8]) throws {
        guard raw.count == 32 else { throw SSHKeyError.badKeyLength(raw.count) }
        self.raw = raw
    }

    public init(_ key: Curve25519.Signing.PublicKey) {
        self.raw = [UInt8](key.rawRepresentation)
    }

    /// `string("ssh-ed25519") string(pk32)`.
    public var blob: [UInt8] {
        var w = SSHWireWriter()
        w.string(Self.algorithm)
        w.string(raw)
        return w.bytes
    }

    public init(blob: [UInt8]) throws {
        var r = SSHWireReader(blob)
        do {
            let algorithm = try r.text()
            guard algorithm == Self.algorithm else { throw SSHKeyError.unsupportedAlgorithm(algorithm ?? "?") }
            let raw = try r.string()
            guard r.isAtEnd else { throw SSHKeyError.malformed("trailing bytes in key blob") }
            try self.init(raw: raw)
        } catch is SSHWireReader.Overrun {
            throw SSHKeyError.malformed("key blob is truncated")
        }
    }

    /// Parses `ssh-ed25519 BASE64 [comment]`.
    public init(openSSHLine line: String) throws {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2 else { throw SSHKeyError.malformed("expected 'ssh-ed25519 BASE64 [comment]'") }
        guard fields[0] == Self.algorithm else { throw SSHKeyError.unsupportedAlgorithm(String(fields[0])) }
        guard let blob = StrictBase64.decode(fields[1]) else { throw SSHKeyError.malformed("key is not valid base64") }
        try self.init(blob: blob)
    }

    public func openSSHLine(comment: String? = nil) -> String {
        let line = "\(Self.algorithm) \(StrictBase64.encode(blob))"
        return comment.map { "\(line) \($0)" } ?? line
    }

    /// The fingerprint as `ssh-keygen -l` prints it: `SHA256:` and unpadded base64.
    public var fingerprint: String {
        // Base64 of 32 bytes ends in one `=` and has no other: dropping the padding is dropping
        // that suffix (a search-and-replace was a fortieth of `spooler verify`).
        let digest = StrictBase64.encode(Array(SHA256.hash(data: blob)))
        return "SHA256:" + digest.prefix(while: { $0 != "=" })
    }

    public var cryptoKey: Curve25519.Signing.PublicKey {
        // 32 bytes were checked at construction.
        try! Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }
}

public enum SSHKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    case badKeyLength(Int)
    case unsupportedAlgorithm(String)
    case malformed(String)
    /// A well-formed key of a kind we cannot use (encrypted, another algorithm), with what to do.
    case unusable(String)

    public var description: String {
        switch self {
        case .badKeyLength(let n): return "Ed25519 key has \(n) bytes, expected 32"
        case .unsupportedAlgorithm(let a): return "unsupported key algorithm '\(a)' (only ssh-ed25519)"
        case .malformed(let why): return "malformed key: \(why)"
        case .unusable(let why): return why
        }
    }
}
