import Crypto
import FoundationEssentials
import Logging
import SpoolFormat
import SpoolProtocol

/// Appends entries to a spool directory for one installation, under the spool lock.
///
/// Opening a writer takes the lock, cleans up what an interrupted write left behind, and brings
/// the chain state up to date with the newest committed entry. Each append writes the `.json.gz`,
/// then the `.sig` (the commit marker), then the chain state.
public final class SpoolWriter {
    public let spool: String
    public let state: StateDirectory
    public let identity: StateDirectory.Identity
    public internal(set) var chain: ChainState
    /// What opening found and did about leftovers, for the caller to report.
    public private(set) var recovered: [SpoolProblem] = []
    let directory: DurableDirectory
    private let lock: SpoolLock
    private let logger: Logger

    public init(spool: String, state: StateDirectory, identity: StateDirectory.Identity, logger: Logger) throws {
        self.spool = spool
        self.state = state
        self.identity = identity
        self.logger = logger
        try state.checkOutside(spool: spool)
        lock = try SpoolLock(directory: spool)
        directory = try DurableDirectory(path: spool)
        chain = try state.loadChain(installation: identity.installation)
        // A large spool is listed only when it is not as this writer's state last left it.
        if !usageIsCurrent { try recover() }
    }

    /// Whether the usage in the chain state still describes the spool: the directory unchanged
    /// since it was saved, no removal pending below the first sequence, and no entry file above
    /// the chain head (a write interrupted before the state was saved). Then nothing is left to
    /// recover or roll forward, and the spool limits are checked without a listing.
    var usageIsCurrent: Bool {
        guard let usage = chain.usage, usage.firstSequence == chain.firstSequence, usage.directory == DirectoryStamp(path: spool) else { return false }
        let next = EntryName(installation: identity.installation, sequence: chain.lastSequence + 1)
        return !FileSystem.exists(directory.full(next.entryFile)) && !FileSystem.exists(directory.full(next.signatureFile))
    }

    /// Counts the installation's entries in a listing (sorted by sequence); nil unless they are
    /// exactly `firstSequence` through the chain head, so that the count can be kept up to date
    /// by appends and removals alone.
    func usage(of own: [EntryName]) -> SpoolUsage? {
        let expected = chain.lastSequence >= chain.firstSequence ? chain.lastSequence - chain.firstSequence + 1 : 0
        guard UInt64(own.count) == expected, own.first.map({ $0.sequence == chain.firstSequence }) ?? true,
            own.last.map({ $0.sequence == chain.lastSequence }) ?? true, let stamp = DirectoryStamp(path: spool)
        else { return nil }
        return SpoolUsage(entries: own.count, bytes: own.reduce(0) { $0 + size(of: $1) }, firstSequence: chain.firstSequence, directory: stamp)
    }

    /// Saves the chain state, its usage stamped with the spool directory as it is now.
    func saveChain() throws {
        if chain.usage != nil {
            if let stamp = DirectoryStamp(path: spool) { chain.usage?.directory = stamp } else { chain.usage = nil }
        }
        try state.saveChain(chain)
    }

    /// Removes leftovers of interrupted writes and rolls the chain state forward over entries
    /// committed after the state was last saved.
    private func recover() throws {
        let before = chain
        let listing = try SpoolListing(directory: spool)
        for name in listing.temporaries {
            try directory.remove(name)
            recovered.append(.init(code: .leftoverTemporary, file: name, message: "removed temporary file of an interrupted write"))
        }
        if !recovered.isEmpty { try directory.sync() }

        let own = listing.entries.filter { $0.installation == identity.installation && $0.sequence > chain.lastSequence }
        for name in own {
            guard name.sequence == chain.lastSequence + 1 else { break }
            let entry = try read(name)
            guard entry.metadata.previous == chain.lastDigest else {
                throw SpoolWriterError.chainConflict(file: directory.full(name.entryFile), reason: "does not link the newest entry the state directory records")
            }
            chain.lastSequence = name.sequence
            chain.lastDigest = entry.digest
            // A tombstone committed just before a crash still declares its range removed.
            if entry.metadata.kind == .tombstone, let tombstone = TombstoneBody.decode(entry.body, entry: entry.metadata) {
                chain.firstSequence = max(chain.firstSequence, tombstone.dropped.last + 1)
            }
            logger.info("chain state rolled forward", metadata: ["entry": "\(name.entryFile)"])
        }

        for name in listing.incomplete where name.installation == identity.installation {
            // Only an entry above the chain head (as rolled forward) can be an interrupted write: one the
            // chain state records was committed, and its missing or replaced `.sig` is damage to
            // report, never a reason to delete the entry.
            guard name.sequence > chain.lastSequence else {
                recovered.append(SpoolProblem.signatureMissing(name))
                continue
            }
            try directory.remove(name.entryFile)
            recovered.append(
                .init(code: .leftoverIncomplete, file: name.entryFile, message: "removed entry without signature (an interrupted write, never committed)"))
        }
        if recovered.contains(where: \.isLeftover) { try directory.sync() }
        // Damage is reported on every open, so its spool is listed every time.
        chain.usage =
            recovered.allSatisfy(\.isLeftover)
            ? usage(of: listing.entries.filter { $0.installation == identity.installation && $0.sequence <= chain.lastSequence })
            : nil
        if chain != before { try saveChain() }
    }

    func read(_ name: EntryName) throws -> SpoolEntry {
        let path = directory.full(name.entryFile)
        do {
            return try SpoolEntry.open(
                compressed: FileSystem.read(path, maxBytes: SpoolEntry.Limits().maxFileBytes),
                signatureText: FileSystem.read(directory.full(name.signatureFile), maxBytes: SpoolEntry.Limits().maxSignatureBytes),
                trust: identity.trust)
        } catch let problem as EntryProblem {
            throw SpoolWriterError.chainConflict(file: path, reason: problem.description)
        }
    }

    /// Signs and writes the next entry; returns it and the path of its `.json.gz`.
    ///
    /// `firstSequence`, when given, is saved in the chain state together with the new entry (a
    /// tombstone declares the entries below it removed; see ``SpoolWriter/prune(limits:productVersion:request:now:)``).
    public func append(
        kind: EntryKind = .report, body: [UInt8], productVersion: String, schema: Int,
        request: ReplayRequest = ReplayRequest(), now: Date = Date(),
        firstSequence: UInt64? = nil
    ) throws -> (entry: SpoolEntry, path: String) {
        let sequence = chain.lastSequence + 1
        guard sequence <= EntryName.maxSequence else { throw SpoolWriterError.sequenceExhausted }
        let metadata = EntryMetadata(
            kind: kind, installation: identity.installation, sequence: sequence, created: now,
            productVersion: productVersion, schema: schema, previous: chain.lastDigest,
            key: identity.publicKey.fingerprint, request: request, body: body)
        let entry = try SpoolEntry.make(metadata: metadata, body: body, signingKey: identity.signingKey)
        let name = entry.name
        let compressed = try entry.compressedFile()
        let signature = Array(entry.signatureFile.utf8)
        try directory.publish(compressed, as: name.entryFile, sync: true)
        // The signature is published last: it commits the entry.
        do {
            try directory.publish(signature, as: name.signatureFile, sync: true)
        } catch {
            // Never committed: take the .json.gz back rather than leave a leftover (best effort;
            // if this fails too, the next start removes it).
            try? directory.remove(name.entryFile)
            try? directory.sync()
            throw error
        }
        chain.lastSequence = sequence
        chain.lastDigest = entry.digest
        if let firstSequence { chain.firstSequence = max(chain.firstSequence, firstSequence) }
        if var usage = chain.usage {
            usage.entries += 1
            usage.bytes += Int64(compressed.count + signature.count)
            chain.usage = usage
        }
        try saveChain()
        return (entry, directory.full(name.entryFile))
    }

    /// The creation time in an entry's metadata, read without checking the signature; nil when
    /// the entry cannot be read. For decisions that may safely err towards keeping an entry
    /// (pruning by age, when the last report was made), never for trusting one.
    public func creationDate(of name: EntryName) -> Date? {
        unverifiedContents(of: name)?.metadata.createdDate
    }

    /// An entry's metadata and body, read without checking the signature; nil when unreadable.
    /// Same caveat as ``creationDate(of:)``: for decisions that err towards keeping.
    public func unverifiedContents(of name: EntryName) -> (metadata: EntryMetadata, body: [UInt8])? {
        let limits = SpoolEntry.Limits()
        guard let compressed = try? FileSystem.read(directory.full(name.entryFile), maxBytes: limits.maxFileBytes),
            let members = try? Gzip.decompressMembers(compressed, expectedMembers: 2, limits: limits.gzip),
            let metadata = try? EntryMetadata.decode(line: members[0])
        else { return nil }
        return (metadata, members[1])
    }
}

public enum SpoolWriterError: Error, CustomStringConvertible {
    case chainConflict(file: String, reason: String)
    case sequenceExhausted

    public var description: String {
        switch self {
        case .chainConflict(let file, let reason):
            return "\(PrintableText.path(file)): \(reason); run 'spooler verify' and resolve the spool before collecting again"
        case .sequenceExhausted:
            return "sequence numbers are exhausted (more than \(EntryName.maxSequence) entries)"
        }
    }
}
