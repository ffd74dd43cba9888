import Crypto
import FoundationEssentials
import SpoolFormat

#if canImport(Glibc)
    import Glibc
#endif

/// The spooler's private state: installation ID, signing key pair and chain state.
///
/// It never lives inside a spool directory, so the private key is never carried out with the
/// entries. The private key file is 0600; one readable by group or others is refused, as ssh does.
public struct StateDirectory: Sendable {
    public static let installationFile = "installation-id"
    public static let privateKeyFile = "signing-key"
    public static let publicKeyFile = "signing-key.pub"
    public static let chainFile = "chain-state.json"

    public let path: String
    /// Told what the state directory did on its own: a key converted to OpenSSH's format.
    let notice: @Sendable (String) -> Void

    public init(path: String, notice: @escaping @Sendable (String) -> Void = { _ in }) {
        self.path = path
        self.notice = notice
    }

    /// The default: `$SPOOLER_STATE`, else `/var/lib/telemetry-spool` for root, else
    /// `$XDG_STATE_HOME/telemetry-spool` (`~/.local/state/telemetry-spool`).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["SPOOLER_STATE"], !explicit.isEmpty { return explicit }
        if getuid() == 0 { return "/var/lib/telemetry-spool" }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/telemetry-spool" }
        return (environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path) + "/.local/state/telemetry-spool"
    }

    func file(_ name: String) -> String { FileSystem.path(name, in: path) }

    /// Refuses a state directory inside (or equal to) the spool directory.
    public func checkOutside(spool: String) throws {
        if FileSystem.isWithin(path, directory: spool) {
            throw StateError.insideSpool(state: path, spool: spool)
        }
    }

    // MARK: Identity

    public struct Identity: Sendable {
        public let installation: String
        public let signingKey: Curve25519.Signing.PrivateKey
        public var publicKey: SSHPublicKey { SSHPublicKey(signingKey.publicKey) }
        public var trust: SingleSignerTrust { SingleSignerTrust(key: publicKey, principal: installation) }
    }

    public var hasIdentity: Bool {
        FileSystem.exists(file(Self.installationFile)) || FileSystem.exists(file(Self.privateKeyFile))
    }

    /// Loads the identity, checking the key file's permissions and format.
    public func loadIdentity() throws -> Identity {
        let idPath = file(Self.installationFile)
        let keyPath = file(Self.privateKeyFile)
        guard FileSystem.exists(idPath), FileSystem.exists(keyPath) else { throw StateError.noIdentity(path) }
        let idText = try readInstallation(idPath)
        let key = try SigningKeyFile.load(keyPath, comment: idText, notice: notice)
        return Identity(installation: idText, signingKey: key)
    }

    private func readInstallation(_ idPath: String) throws -> String {
        let idText = String(decoding: try FileSystem.read(idPath, maxBytes: 1024), as: UTF8.self).trimmingWhitespaceAndNewlines()
        guard UUID(uuidString: idText) != nil, idText == idText.lowercased() else {
            throw StateError.malformed(file: idPath, reason: "expected a lowercase UUID, found '\(idText.prefix(60))'")
        }
        return idText
    }

    /// Loads the identity, creating one first on a fresh state directory.
    public func loadOrCreateIdentity() throws -> (identity: Identity, created: Bool) {
        if hasIdentity { return (try loadIdentity(), false) }
        return (try createIdentity(), true)
    }

    /// The installation ID and public key only: enough to verify, without reading the private key.
    public func loadPublicIdentity() throws -> (installation: String, key: SSHPublicKey) {
        let idPath = file(Self.installationFile)
        let keyPath = file(Self.publicKeyFile)
        guard FileSystem.exists(idPath), FileSystem.exists(keyPath) else { throw StateError.noIdentity(path) }
        let installation = String(decoding: try FileSystem.read(idPath, maxBytes: 1024), as: UTF8.self).trimmingWhitespaceAndNewlines()
        let line = String(decoding: try FileSystem.read(keyPath, maxBytes: 4096), as: UTF8.self).trimmingWhitespaceAndNewlines()
        do {
            return (installation, try SSHPublicKey(openSSHLine: line))
        } catch {
            throw StateError.malformed(file: keyPath, reason: "\(error)")
        }
    }

    /// Creates a new installation ID and key pair. Refuses to replace existing ones unless `force`.
    @discardableResult
    public func createIdentity(force: Bool = false) throws -> Identity {
        if hasIdentity && !force { throw StateError.identityExists(file(Self.privateKeyFile)) }
        try FileSystem.makeDirectory(path, permissions: 0o700)
        let identity = Identity(installation: UUID().uuidString.lowercased(), signingKey: Curve25519.Signing.PrivateKey())
        try save(identity)
        return identity
    }

    /// Makes the key in `keyFile` (an unencrypted Ed25519 OpenSSH key) this installation's
    /// signing key. An existing installation ID is kept, and so is the chain; a fresh state
    /// directory gets a new ID. Refuses to replace an existing key unless `force`.
    /// - Throws: ``StateError`` naming the file that is refused and why.
    @discardableResult
    public func importIdentity(keyFile: String, force: Bool = false) throws -> Identity {
        let key = try SigningKeyFile.importKey(keyFile)
        if FileSystem.exists(file(Self.privateKeyFile)) && !force { throw StateError.keyExists(file(Self.privateKeyFile)) }
        let idPath = file(Self.installationFile)
        guard FileSystem.exists(idPath) else {
            try FileSystem.makeDirectory(path, permissions: 0o700)
            let identity = Identity(installation: UUID().uuidString.lowercased(), signingKey: key)
            try save(identity)
            return identity
        }
        let installation = try readInstallation(idPath)
        let identity = Identity(installation: installation, signingKey: key)
        try SigningKeyFile.save(key, as: Self.privateKeyFile, comment: installation, in: try DurableDirectory(path: path))
        return identity
    }

    /// Writes a new identity: key pair, then installation ID (last: it makes the identity whole).
    private func save(_ identity: Identity) throws {
        let directory = try DurableDirectory(path: path)
        try SigningKeyFile.save(identity.signingKey, as: Self.privateKeyFile, comment: identity.installation, in: directory)
        // A new identity starts a new chain.
        if FileSystem.exists(file(Self.chainFile)) { try directory.remove(Self.chainFile) }
        try directory.publish(Array((identity.installation + "\n").utf8), as: Self.installationFile, replace: true)
    }

    // MARK: Chain state

    public func loadChain(installation: String) throws -> ChainState {
        let chainPath = file(Self.chainFile)
        guard FileSystem.exists(chainPath) else { return ChainState(installation: installation) }
        let data = try FileSystem.read(chainPath, maxBytes: 64 * 1024)
        do {
            let state = try JSONDecoder().decode(ChainState.self, from: Data(data))
            guard state.installation == installation else {
                throw StateError.malformed(file: chainPath, reason: "records installation \(state.installation), not \(installation)")
            }
            return state
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.malformed(file: chainPath, reason: "cannot be decoded (\(error))")
        }
    }

    public func saveChain(_ state: ChainState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try DurableDirectory(path: path).publish([UInt8](try encoder.encode(state)) + [0x0a], as: Self.chainFile, permissions: 0o600, replace: true)
    }
}

public enum StateError: Error, Equatable, CustomStringConvertible {
    case noIdentity(String)
    case identityExists(String)
    case keyExists(String)
    case keyTooOpen(file: String, mode: mode_t)
    case malformed(file: String, reason: String)
    case insideSpool(state: String, spool: String)

    /// The same error with its paths escaped for printing.
    private var escaped: StateError {
        let p = PrintableText.path
        switch self {
        case .noIdentity(let dir): return .noIdentity(p(dir))
        case .identityExists(let file): return .identityExists(p(file))
        case .keyExists(let file): return .keyExists(p(file))
        case .keyTooOpen(let file, let mode): return .keyTooOpen(file: p(file), mode: mode)
        case .malformed(let file, let reason): return .malformed(file: p(file), reason: reason)
        case .insideSpool(let state, let spool): return .insideSpool(state: p(state), spool: p(spool))
        }
    }

    public var description: String {
        switch escaped {
        case .noIdentity(let dir):
            return "no installation identity in \(dir); run 'spooler keygen --state \(dir)' (collect creates one on a fresh state directory)"
        case .identityExists(let file):
            return "a signing key already exists at \(file); replacing it starts a new installation chain. Use --force to replace it"
        case .keyExists(let file):
            return
                "a signing key already exists at \(file). Use --force to replace it by the imported key: the installation ID and chain are kept, and entries already signed verify only with the old public key"
        case .keyTooOpen(let file, let mode):
            return "private key \(file) is readable by group or others (mode \(String(mode, radix: 8))); fix it with: chmod 600 \(file)"
        case .malformed(let file, let reason):
            return "\(file): \(reason)"
        case .insideSpool(let state, let spool):
            return
                "state directory \(state) is inside the spool directory \(spool); the private key would be carried out with the entries. Choose a --state outside the spool"
        }
    }
}
