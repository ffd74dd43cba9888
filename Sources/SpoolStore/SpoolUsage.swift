#if canImport(Glibc)
    import Glibc
#endif

/// What one installation's entries take in the spool, kept with the chain state so that a
/// collect checks the spool limits without listing the spool.
///
/// Trusted only while the spool directory is as the writer last left it (``DirectoryStamp``) and
/// counts from the chain's current first sequence; otherwise the writer lists the spool and counts
/// again (after a crash, a hand-made change, an older state file).
public struct SpoolUsage: Codable, Equatable, Sendable {
    /// The installation's entries in the spool: sequences `firstSequence...` up to the chain head.
    public var entries: Int
    /// Their bytes, both files of each.
    public var bytes: Int64
    /// The chain's first sequence when counted: an acknowledgement or prune that moved it has
    /// removals to finish (or finished them) and makes this count stale.
    public var firstSequence: UInt64
    /// The spool directory when the count was saved.
    public var directory: DirectoryStamp

    public init(entries: Int, bytes: Int64, firstSequence: UInt64, directory: DirectoryStamp) {
        self.entries = entries
        self.bytes = bytes
        self.firstSequence = firstSequence
        self.directory = directory
    }
}

/// A directory's identity and change times: any file created, renamed or removed in it changes
/// its modification and status change times.
public struct DirectoryStamp: Codable, Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var modified: [Int64]
    public var changed: [Int64]

    /// The directory's stamp now; nil when it cannot be read.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        modified = [Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec)]
        changed = [Int64(info.st_ctim.tv_sec), Int64(info.st_ctim.tv_nsec)]
    }
}
