import SpoolFormat
import SpoolProtocol

/// An entry that passed verification, ready to store.
public struct ReceivedEntry: Sendable {
    public var digest: String
    public var installation: String
    public var sequence: Int64
    public var kind: String
    public var productVersion: String
    public var created: String
    public var keyFingerprint: String
    public var publicKey: String
    public var metadataLine: [UInt8]
    public var body: [UInt8]
    public var signature: [UInt8]
    /// For a tombstone: its body, declaring the sequences removed on purpose (docs/PAYLOAD.md).
    public var tombstone: TombstoneBody?

    public init(entry: SpoolEntry) {
        digest = entry.digest.description
        installation = entry.metadata.installation
        sequence = Int64(entry.metadata.sequence)
        kind = entry.metadata.kind.rawValue
        productVersion = entry.metadata.productVersion
        created = entry.metadata.created
        keyFingerprint = entry.signature.publicKey.fingerprint
        publicKey = entry.signature.publicKey.openSSHLine()
        metadataLine = entry.metadataLine
        body = entry.body
        signature = entry.signature.blob
        // The same parser and checks as a spool verifier's; the reader refuses a tombstone it rejects.
        if entry.metadata.kind == .tombstone { tombstone = TombstoneBody.decode(entry.body, entry: entry.metadata) }
    }
}

/// What storing an entry came to.
public enum StoreOutcome: Sendable, Equatable {
    /// Stored now (201).
    case stored
    /// The same digest was stored before (200).
    case duplicate
    /// The installation and sequence are stored with another digest (409).
    case conflict(existingDigest: String)
    /// Trust on first use: the installation is pinned to another key (403).
    case foreignKey(pinnedFingerprint: String)
}
