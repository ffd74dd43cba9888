import Crypto
import FoundationEssentials
import SpoolFormat

/// An Ed25519 private key file: the installation's signing key and the uploader's receipt key,
/// one implementation for both.
///
/// An unencrypted OpenSSH private key (``OpenSSHPrivateKey``), mode 0600, so stock OpenSSH can use
/// it (`ssh-keygen -y`, `ssh-keygen -Y sign`); one readable by group or others is refused, as ssh
/// does. A `.pub` beside it holds the OpenSSH public key.
public enum SigningKeyFile {
    /// The format written before keys were OpenSSH's: three lines, the seed in base64 between these.
    static let legacyHeader = "-----BEGIN TELEMETRY SPOOL ED25519 KEY-----"
    static let legacyFooter = "-----END TELEMETRY SPOOL ED25519 KEY-----"
    static let maxBytes = 16 * 1024

    /// Reads the private key at `path`, checking its permissions and format.
    ///
    /// A key still in the earlier TelemetrySpool format is rewritten as an OpenSSH key in place
    /// (atomically, 0600, with `comment`), and `notice` is told so once.
    /// - Throws: ``StateError`` naming the file: `keyTooOpen` or `malformed` with what is wrong.
    public static func load(_ path: String, comment: String, notice: (String) -> Void = { _ in }) throws -> Curve25519.Signing.PrivateKey {
        let text = try readPrivate(path)
        if let key = try legacyKey(text, path: path) {
            let directory = try DurableDirectory(path: FileSystem.directory(containing: path))
            try write(key, as: FileSystem.name(of: path), comment: comment, in: directory)
            notice(
                "converted the private key \(PrintableText.path(path)) to OpenSSH's format (same key); 'ssh-keygen -y -f \(PrintableText.path(path))' now reads it"
            )
            return key
        }
        do {
            return try OpenSSHPrivateKey(armored: text).key
        } catch {
            throw StateError.malformed(file: path, reason: "\(error)")
        }
    }

    /// Reads a key another tool made (`ssh-keygen -t ed25519 -N ''`), for `spooler keygen --import`.
    /// - Throws: ``StateError`` naming the file: too open, encrypted, not Ed25519, malformed.
    public static func importKey(_ path: String) throws -> Curve25519.Signing.PrivateKey {
        do {
            return try OpenSSHPrivateKey(armored: try readPrivate(path)).key
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.malformed(file: path, reason: "\(error)")
        }
    }

    /// Writes `key` as `name` (0600) and its public key as `name.pub` in `directory`, durably.
    public static func save(_ key: Curve25519.Signing.PrivateKey, as name: String, comment: String, in directory: DurableDirectory) throws {
        try write(key, as: name, comment: comment, in: directory)
        try directory.publish(Array((SSHPublicKey(key.publicKey).openSSHLine(comment: comment) + "\n").utf8), as: name + ".pub", replace: true)
    }

    /// Loads the key at `name` in `directory` (created 0700 if needed), creating it on first use.
    public static func loadOrCreate(
        _ name: String, comment: String, in directory: String, notice: (String) -> Void = { _ in }
    ) throws -> (key: Curve25519.Signing.PrivateKey, created: Bool) {
        let path = FileSystem.path(name, in: directory)
        if FileSystem.exists(path) { return (try load(path, comment: comment, notice: notice), false) }
        try FileSystem.makeDirectory(directory, permissions: 0o700)
        let key = Curve25519.Signing.PrivateKey()
        try save(key, as: name, comment: comment, in: try DurableDirectory(path: directory))
        return (key, true)
    }

    private static func write(_ key: Curve25519.Signing.PrivateKey, as name: String, comment: String, in directory: DurableDirectory) throws {
        let text = OpenSSHPrivateKey(key: key, comment: comment).armored()
        try directory.publish(Array(text.utf8), as: name, permissions: 0o600, replace: true)
    }

    /// The file's text, once its permissions are known to be private.
    private static func readPrivate(_ path: String) throws -> String {
        guard let mode = FileSystem.mode(of: path) else { throw StateError.malformed(file: path, reason: "no such file") }
        if mode & 0o077 != 0 { throw StateError.keyTooOpen(file: path, mode: mode & 0o777) }
        return String(decoding: try FileSystem.read(path, maxBytes: maxBytes), as: UTF8.self)
    }

    /// The key of a file in the earlier format, nil for any other file.
    private static func legacyKey(_ text: String, path: String) throws -> Curve25519.Signing.PrivateKey? {
        guard text.hasPrefix(legacyHeader) else { return nil }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.count == 3, lines[0] == legacyHeader, lines[2] == legacyFooter,
            let seed = StrictBase64.decode(lines[1]), seed.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else {
            throw StateError.malformed(file: path, reason: "a damaged TelemetrySpool Ed25519 key (the earlier key format)")
        }
        return key
    }
}
