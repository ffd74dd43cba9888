import SpoolFormat

/// Where an installation's chain stands: its newest entry, and the first sequence still expected
/// in the spool. Kept in the state directory, so the loss of the newest entries is detected too.
public struct ChainState: Codable, Equatable, Sendable {
    public var installation: String
    public var lastSequence: UInt64
    public var lastDigest: EntryDigest
    /// Entries below this sequence were removed on purpose (declared by a tombstone).
    public var firstSequence: UInt64

    public init(installation: String, lastSequence: UInt64 = 0, lastDigest: EntryDigest = .genesis, firstSequence: UInt64 = 1) {
        self.installation = installation
        self.lastSequence = lastSequence
        self.lastDigest = lastDigest
        self.firstSequence = firstSequence
    }
}
