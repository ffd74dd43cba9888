import FoundationEssentials
import SpoolFormat
import SpoolProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Limits on what one installation keeps in a spool.
public struct SpoolLimits: Sendable, Equatable {
    /// The installation's entries (both files) never take more than this many bytes.
    public var maxBytes: Int64?
    /// Entries created more than this many seconds ago are removed.
    public var maxAge: TimeInterval?
    /// Exported entries not acknowledged by a receipt are removed this many seconds after their creation.
    public var maxUnackedAge: TimeInterval?
    /// The last exported sequence (from the export record): entries up to it are exported.
    public var exportedThrough: UInt64

    public init(maxBytes: Int64? = nil, maxAge: TimeInterval? = nil, maxUnackedAge: TimeInterval? = nil, exportedThrough: UInt64 = 0) {
        self.maxBytes = maxBytes
        self.maxAge = maxAge
        self.maxUnackedAge = maxUnackedAge
        self.exportedThrough = exportedThrough
    }

    public var isEmpty: Bool { maxBytes == nil && maxAge == nil && maxUnackedAge == nil }
}

extension SpoolWriter {
    /// Room kept for each tombstone when pruning to a byte limit.
    static let tombstoneReserve: Int64 = 2_048

    /// Removes the oldest entries of this installation while a limit is passed, and records each
    /// removal with a signed tombstone entry.
    ///
    /// Order, for crash safety: the tombstone is appended first, saving the new
    /// `ChainState.firstSequence` with it; only then are the dropped entries removed, each `.sig`
    /// before its `.json.gz` (a `.json.gz` without `.sig` is an uncommitted leftover, never an
    /// entry). An interrupted prune leaves entries below `firstSequence`, which the next prune
    /// removes first. The newest entry is never removed.
    /// - Returns: the tombstones written, oldest first (empty when no limit was passed).
    @discardableResult
    public func prune(
        limits: SpoolLimits, productVersion: String, request: ReplayRequest = ReplayRequest(),
        now: Date = Date()
    ) throws -> [TombstoneBody] {
        let before = chain
        var kept: [EntryName]
        var total: Int64
        if usageIsCurrent, let usage = chain.usage {
            // With the usage kept in the chain state, a spool within its limits is not listed, and in
            // one past a limit only the entries dropped are measured: the spool holds exactly
            // `firstSequence` through the chain head.
            guard passes(limits, usage: usage, now: now) else { return [] }
            kept = stride(from: chain.firstSequence, through: chain.lastSequence, by: 1).map {
                EntryName(installation: identity.installation, sequence: $0)
            }
            total = usage.bytes
        } else {
            let listing = try SpoolListing(directory: spool)
            let own = listing.entries.filter { $0.installation == identity.installation }
            // Finish a prune or acknowledgement that was interrupted after its state was saved.
            try remove(own.filter { $0.sequence < chain.firstSequence })
            kept = own.filter { $0.sequence >= chain.firstSequence }
            // Counted again from the listing; each drop below keeps the count up to date and saves it.
            chain.usage = usage(of: kept)
            total = chain.usage?.bytes ?? kept.reduce(Int64(0)) { $0 + size(of: $1) }
        }
        var tombstones: [TombstoneBody] = []
        defer {
            // Only the count changed: when it cannot be saved, the next writer counts again.
            if tombstones.isEmpty, chain != before { try? saveChain() }
        }
        guard !limits.isEmpty else { return [] }

        // Oldest first, an age limit removes a prefix; exported entries still here were never acknowledged.
        let ageLimits: [(TimeInterval?, UInt64, TombstoneBody.Reason)] = [
            (limits.maxAge, .max, .maxAge), (limits.maxUnackedAge, limits.exportedThrough, .maxUnackedAge),
        ]
        for case (let maxAge?, let through, let reason) in ageLimits {
            let cutoff = now.addingTimeInterval(-maxAge)
            var expired = 0
            // An entry whose metadata cannot be read stops the age scan: nothing newer is removed for its sake.
            while expired < kept.count - 1, kept[expired].sequence <= through,
                let created = creationDate(of: kept[expired]), created < cutoff
            { expired += 1 }
            if expired > 0 {
                let dropped = kept[..<expired].map { (name: $0, bytes: size(of: $0)) }
                total -= dropped.reduce(0) { $0 + $1.bytes }
                kept.removeFirst(expired)
                tombstones.append(try drop(dropped, reason: reason, limit: Int64(maxAge), productVersion: productVersion, request: request, now: now))
            }
        }
        if let maxBytes = limits.maxBytes {
            total += Self.tombstoneReserve
            var dropped: [(name: EntryName, bytes: Int64)] = []
            while dropped.count < kept.count - 1, total > maxBytes {
                let name = kept[dropped.count]
                dropped.append((name, size(of: name)))
                total -= dropped[dropped.count - 1].bytes
            }
            if !dropped.isEmpty {
                tombstones.append(try drop(dropped, reason: .maxBytes, limit: maxBytes, productVersion: productVersion, request: request, now: now))
            }
        }
        return tombstones
    }

    private func drop(
        _ entries: [(name: EntryName, bytes: Int64)], reason: TombstoneBody.Reason, limit: Int64,
        productVersion: String, request: ReplayRequest, now: Date
    ) throws -> TombstoneBody {
        // A dropped tombstone's range stays declared: the new tombstone covers it too.
        let earlier = entries.compactMap { entry -> UInt64? in
            guard let (metadata, body) = unverifiedContents(of: entry.name), metadata.kind == .tombstone else { return nil }
            return TombstoneBody.decode(body, entry: metadata)?.dropped.first
        }
        let first = min(entries[0].name.sequence, earlier.min() ?? .max)
        let last = entries[entries.count - 1].name.sequence
        let tombstone = TombstoneBody(
            installation: identity.installation, dropped: SequenceRange(first: first, last: last), entries: entries.count,
            bytes: entries.reduce(0) { $0 + $1.bytes }, reason: reason, limit: limit)
        _ = try append(
            kind: .tombstone, body: try tombstone.encoded(), productVersion: productVersion,
            schema: TombstoneBody.currentSchema, request: request, now: now, firstSequence: last + 1)
        try remove(entries.map(\.name))
        if var usage = chain.usage {
            usage.entries -= entries.count
            usage.bytes -= tombstone.bytes
            usage.firstSequence = chain.firstSequence
            chain.usage = usage
        }
        try saveChain()
        return tombstone
    }

    /// Whether the counted entries pass a limit: too many bytes, or the oldest (never the only
    /// one) older than an age limit.
    func passes(_ limits: SpoolLimits, usage: SpoolUsage, now: Date) -> Bool {
        if let maxBytes = limits.maxBytes, usage.bytes + Self.tombstoneReserve > maxBytes { return true }
        guard usage.entries > 1 else { return false }
        let oldest = EntryName(installation: identity.installation, sequence: chain.firstSequence)
        for case (let maxAge?, let through) in [(limits.maxAge, UInt64.max), (limits.maxUnackedAge, limits.exportedThrough)] {
            if oldest.sequence <= through, let created = creationDate(of: oldest), created < now.addingTimeInterval(-maxAge) { return true }
        }
        return false
    }

    /// Removes entries, each `.sig` before its `.json.gz`, then syncs the directory.
    func remove(_ names: [EntryName]) throws {
        guard !names.isEmpty else { return }
        for name in names {
            for file in [name.signatureFile, name.entryFile] {
                do {
                    try directory.remove(file)
                } catch let error as FileSystemError where error.errno == ENOENT {
                    continue
                }
            }
        }
        try directory.sync()
    }

    func size(of name: EntryName) -> Int64 {
        [name.entryFile, name.signatureFile].reduce(Int64(0)) { total, file in
            var info = stat()
            return lstat(directory.full(file), &info) == 0 ? total + Int64(info.st_size) : total
        }
    }
}
