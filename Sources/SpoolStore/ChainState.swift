import SpoolFormat

/// Where an installation's chain stands: its newest entry, and the first sequence still expected
/// in the spool. Kept in the state directory, so the loss of the newest entries is detected too.
public struct ChainState: Codable, Equatable, Sendable {
    public var installation: String
    public var lastSequence: UInt64
    public var lastDigest: EntryDigest
    /// Entries below this sequence were removed on purpose (declared by a tombstone).
    public var firstSequence: UInt64
    /// The newest entry removed by `spooler ack` (sequence and digest): the entry after it must
    /// link to it, so the chain stays checkable after delivered entries leave the spool.
    public var acknowledged: Link?
    /// What the installation's entries take in the spool, when known (see ``SpoolUsage``).
    public var usage: SpoolUsage?

    public struct Link: Codable, Equatable, Sendable {
        public var sequence: UInt64
        public var digest: EntryDigest

        public init(sequence: UInt64, digest: EntryDigest) {
            self.sequence = sequence
            self.digest = digest
        }
    }

    public init(installation: String, lastSequence: UInt64 = 0, lastDigest: EntryDigest = .genesis, firstSequence: UInt64 = 1) {
        self.installation = installation
        self.lastSequence = lastSequence
        self.lastDigest = lastDigest
        self.firstSequence = firstSequence
    }
}
