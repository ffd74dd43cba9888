import Crypto

/// An unencrypted Ed25519 private key in OpenSSH's own format (openssh-key-v1, PROTOCOL.key), as
/// `ssh-keygen -t ed25519 -N ''` writes it.
///
/// Keeping keys in this format lets stock OpenSSH use them: `ssh-keygen -y -f KEY` prints the
/// public key and `ssh-keygen -Y sign -f KEY` signs exactly as we do (Ed25519 is deterministic).
/// The reader is strict: one key, cipher and KDF "none", equal check-ints, the public key matching
/// the private seed wherever it appears, padding 1, 2, 3…, nothing after it.
public struct OpenSSHPrivateKey: Sendable {
    static let armorBegin = "-----BEGIN OPENSSH PRIVATE KEY-----"
    static let armorEnd = "-----END OPENSSH PRIVATE KEY-----"
    static let magic = Array("openssh-key-v1".utf8) + [0]
    /// The cipher block size for "none": the private section is padded to a multiple of it.
    static let blockSize = 8

    public let key: Curve25519.Signing.PrivateKey
    public let comment: String

    public init(key: Curve25519.Signing.PrivateKey, comment: String) {
        self.key = key
        self.comment = comment
    }

    /// The armored file text, base64 wrapped at 70 columns as ssh-keygen writes it.
    /// - Parameter checkInt: the random number repeated in the private section (OpenSSH uses it
    ///   to tell a wrong passphrase); random unless given.
    public func armored(checkInt: UInt32 = UInt32.random(in: .min ... .max)) -> String {
        let publicKey = SSHPublicKey(key.publicKey)
        var secret = SSHWireWriter()
        secret.uint32(checkInt)
        secret.uint32(checkInt)
        secret.string(SSHPublicKey.algorithm)
        secret.string(publicKey.raw)
        // OpenSSH's "private key" is the seed followed by the public key.
        secret.string(Array(key.rawRepresentation) + publicKey.raw)
        secret.string(comment)
        var pad: UInt8 = 1
        while secret.bytes.count % Self.blockSize != 0 {
            secret.raw([pad])
            pad += 1
        }
        var w = SSHWireWriter()
        w.raw(Self.magic)
        w.string("none")
        w.string("none")
        w.string("")
        w.uint32(1)
        w.string(publicKey.blob)
        w.string(secret.bytes)
        return SSHArmor.text(w.bytes, begin: Self.armorBegin, end: Self.armorEnd)
    }

    /// Parses an armored openssh-key-v1 file.
    ///
    /// The base64 may be wrapped at any width (other tools wrap at 64), but must be canonical.
    /// - Throws: ``SSHKeyError`` saying what is wrong, and for keys of another kind (encrypted,
    ///   RSA, ECDSA, PEM or PKCS#8) what they are and how to get a usable one.
    public init(armored text: String) throws {
        // "\r\n" is one Character in Swift: both line ends are separators.
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first, first == Self.armorBegin else {
            throw Self.otherKind(firstLine: lines.first ?? "")
        }
        guard lines.count >= 3, lines.last == Self.armorEnd[...] else {
            throw SSHKeyError.malformed("no '\(Self.armorEnd)' line after the key")
        }
        let body = lines[1..<lines.count - 1].joined()
        guard let bytes = StrictBase64.decode(body) else { throw SSHKeyError.malformed("the key's base64 is not valid") }
        try self.init(decoded: bytes)
    }

    private init(decoded bytes: [UInt8]) throws {
        var r = SSHWireReader(bytes)
        do {
            guard try r.raw(Self.magic.count) == Self.magic else { throw SSHKeyError.malformed("missing the openssh-key-v1 magic") }
            let cipher = try r.text() ?? "?"
            let kdf = try r.text() ?? "?"
            let kdfOptions = try r.string()
            guard cipher == "none", kdf == "none" else {
                throw SSHKeyError.unusable(
                    "the key is encrypted (cipher \(cipher), KDF \(kdf)); an unattended service cannot type a passphrase. Decrypt a copy with: ssh-keygen -p -N '' -f COPY"
                )
            }
            guard kdfOptions.isEmpty else { throw SSHKeyError.malformed("KDF options are set for KDF 'none'") }
            let count = try r.uint32()
            guard count == 1 else { throw SSHKeyError.malformed("the file holds \(count) keys, expected exactly 1") }
            let publicBlob = try r.string()
            let section = try r.string()
            guard section.count % Self.blockSize == 0 else {
                throw SSHKeyError.malformed("the private section's \(section.count) bytes are not a multiple of \(Self.blockSize)")
            }
            var s = SSHWireReader(section)
            guard r.isAtEnd else { throw SSHKeyError.malformed("trailing bytes after the private section") }
            let publicKey: SSHPublicKey
            do {
                publicKey = try SSHPublicKey(blob: publicBlob)
            } catch SSHKeyError.unsupportedAlgorithm(let algorithm) {
                throw Self.unsupported(algorithm)
            }
            let check1 = try s.uint32()
            let check2 = try s.uint32()
            guard check1 == check2 else { throw SSHKeyError.malformed("the check-ints differ (a damaged or encrypted key)") }
            let algorithm = try s.text() ?? "?"
            guard algorithm == SSHPublicKey.algorithm else { throw Self.unsupported(algorithm) }
            let innerPublic = try s.string()
            let secret = try s.string()
            guard secret.count == 64 else { throw SSHKeyError.malformed("the Ed25519 private key has \(secret.count) bytes, expected 64") }
            guard let comment = try s.text() else { throw SSHKeyError.malformed("the comment is not UTF-8") }
            var expected: UInt8 = 1
            while !s.isAtEnd {
                guard try s.raw(1)[0] == expected else { throw SSHKeyError.malformed("the padding is not 1, 2, 3…") }
                expected += 1
            }
            guard expected <= Self.blockSize else { throw SSHKeyError.malformed("the padding is longer than a cipher block") }
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: secret.prefix(32))
            let derived = SSHPublicKey(key.publicKey).raw
            guard derived == publicKey.raw, derived == innerPublic, derived[...] == secret.suffix(32) else {
                throw SSHKeyError.malformed("the public key does not match the private key")
            }
            self.init(key: key, comment: comment)
        } catch is SSHWireReader.Overrun {
            throw SSHKeyError.malformed("the key is truncated")
        }
    }

    /// What a file that is not an openssh-key-v1 key seems to be, by its first line.
    private static func otherKind(firstLine: Substring) -> SSHKeyError {
        switch firstLine {
        case "-----BEGIN RSA PRIVATE KEY-----": return unsupported("ssh-rsa")
        case "-----BEGIN EC PRIVATE KEY-----": return unsupported("ecdsa")
        case "-----BEGIN DSA PRIVATE KEY-----": return unsupported("ssh-dss")
        case "-----BEGIN PRIVATE KEY-----", "-----BEGIN ENCRYPTED PRIVATE KEY-----":
            return .unusable("a PKCS#8 key, not an OpenSSH one; make an Ed25519 key with: ssh-keygen -t ed25519 -N '' -f FILE")
        default:
            if firstLine.hasPrefix("ssh-") || firstLine.hasPrefix("ecdsa-") {
                return .unusable("a public key, not a private key")
            }
            return .malformed("not an OpenSSH private key (it does not start with '\(armorBegin)')")
        }
    }

    private static func unsupported(_ algorithm: String) -> SSHKeyError {
        .unusable(
            "an \(PrintableText.path(String(algorithm.prefix(40)))) key; only Ed25519 keys sign entries (the format's one algorithm). Make one with: ssh-keygen -t ed25519 -N '' -f FILE"
        )
    }
}
