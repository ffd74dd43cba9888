import Crypto
import FoundationEssentials
import SpoolFormat

/// An Ed25519 private key file in TelemetrySpool's format: the installation's signing key and the
/// uploader's receipt key, one implementation for both.
///
/// Three lines (header, base64 of the 32-byte seed, footer), mode 0600; one readable by group or
/// others is refused, as ssh does. A `.pub` beside it holds the OpenSSH public key.
public enum SigningKeyFile {
    static let header = "-----BEGIN TELEMETRY SPOOL ED25519 KEY-----"
    static let footer = "-----END TELEMETRY SPOOL ED25519 KEY-----"

    /// Reads the private key at `path`, checking its permissions and format.
    public static func load(_ path: String) throws -> Curve25519.Signing.PrivateKey {
        if let mode = FileSystem.mode(of: path), mode & 0o077 != 0 {
            throw StateError.keyTooOpen(file: path, mode: mode & 0o777)
        }
        let lines = String(decoding: try FileSystem.read(path, maxBytes: 4096), as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count == 3, lines[0] == header, lines[2] == footer,
            let seed = StrictBase64.decode(lines[1]), seed.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else {
            throw StateError.malformed(file: path, reason: "not a TelemetrySpool Ed25519 private key")
        }
        return key
    }

    /// Writes `key` as `name` (0600) and its public key as `name.pub` in `directory`, durably.
    public static func save(_ key: Curve25519.Signing.PrivateKey, as name: String, comment: String, in directory: DurableDirectory) throws {
        let seed = StrictBase64.encode(key.rawRepresentation)
        try directory.publish(Array("\(header)\n\(seed)\n\(footer)\n".utf8), as: name, permissions: 0o600, replace: true)
        try directory.publish(Array((SSHPublicKey(key.publicKey).openSSHLine(comment: comment) + "\n").utf8), as: name + ".pub", replace: true)
    }

    /// Loads the key at `name` in `directory` (created 0700 if needed), creating it on first use.
    public static func loadOrCreate(_ name: String, comment: String, in directory: String) throws -> (key: Curve25519.Signing.PrivateKey, created: Bool) {
        let path = FileSystem.path(name, in: directory)
        if FileSystem.exists(path) { return (try load(path), false) }
        try FileSystem.makeDirectory(directory, permissions: 0o700)
        let key = Curve25519.Signing.PrivateKey()
        try save(key, as: name, comment: comment, in: try DurableDirectory(path: directory))
        return (key, true)
    }
}
