import Dispatch
import FoundationEssentials
import SpoolFormat
import SpoolProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Checks every entry of a spool directory and the chains they form. Never changes the spool.
///
/// Entries are checked in parallel batches (Ed25519 verification dominates), then folded into
/// the chain check in order; only the last link of each installation is kept, so memory does not
/// grow with the spool beyond its file names.
public struct SpoolVerifier: Sendable {
    public struct Report: Sendable, Codable {
        public struct Installation: Sendable, Codable, Equatable {
            public var installation: String
            public var entries: Int
            public var firstSequence: UInt64
            public var lastSequence: UInt64

            public init(installation: String, entries: Int, firstSequence: UInt64, lastSequence: UInt64) {
                self.installation = installation
                self.entries = entries
                self.firstSequence = firstSequence
                self.lastSequence = lastSequence
            }
        }

        public var directory: String
        public var entries: Int = 0
        public var validEntries: Int = 0
        public var installations: [Installation] = []
        public var problems: [SpoolProblem] = []
        /// Entries removed on purpose, as tombstones in the spool declare them.
        public var declaredLosses: [DeclaredLoss] = []

        public var isClean: Bool { problems.isEmpty }

        public init(directory: String) { self.directory = directory }

        /// A tombstone's declaration: entries `first...last` were removed because of `reason`.
        /// Encoded flat (`installation`, `tombstone`, `first`, `last`, `reason`), as `--json` prints it.
        public struct DeclaredLoss: Sendable, Codable, Equatable {
            public var installation: String
            public var tombstone: UInt64
            public var dropped: SequenceRange
            public var reason: TombstoneBody.Reason

            public init(installation: String, tombstone: UInt64, dropped: SequenceRange, reason: TombstoneBody.Reason) {
                self.installation = installation
                self.tombstone = tombstone
                self.dropped = dropped
                self.reason = reason
            }

            enum CodingKeys: String, CodingKey { case installation, tombstone, first, last, reason }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                installation = try container.decode(String.self, forKey: .installation)
                tombstone = try container.decode(UInt64.self, forKey: .tombstone)
                dropped = SequenceRange(first: try container.decode(UInt64.self, forKey: .first), last: try container.decode(UInt64.self, forKey: .last))
                reason = try container.decode(TombstoneBody.Reason.self, forKey: .reason)
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(installation, forKey: .installation)
                try container.encode(tombstone, forKey: .tombstone)
                try container.encode(dropped.first, forKey: .first)
                try container.encode(dropped.last, forKey: .last)
                try container.encode(reason, forKey: .reason)
            }
        }
    }

    public var trust: any SignerTrust
    /// Chain states recorded by the spooler that wrote the spool, keyed by installation.
    public var expected: [String: ChainState]
    public var limits: SpoolEntry.Limits
    public var batchSize: Int

    public init(trust: any SignerTrust, expected: [ChainState] = [], limits: SpoolEntry.Limits = .init(), batchSize: Int = 512) {
        self.trust = trust
        self.expected = Dictionary(expected.map { ($0.installation, $0) }, uniquingKeysWith: { a, _ in a })
        self.limits = limits
        self.batchSize = batchSize
    }

    /// A checked entry reduced to what the chain check needs.
    struct Link: Sendable {
        var name: EntryName
        var digest: EntryDigest
        var previous: EntryDigest
        var kind: EntryKind
        /// The checked entry itself, for ``verify(directory:onValidEntry:)``.
        var entry: SpoolEntry? = nil
    }

    public func verify(directory: String) throws -> Report {
        try verify(directory: directory, onValidEntry: { _ in })
    }

    /// Verifies like ``verify(directory:)`` and hands each entry that passes the per-entry checks
    /// (signature, trust, metadata, name) to `onValidEntry`, in name order, batch by batch.
    ///
    /// Chain problems (gaps, broken links) are reported in the returned report, not withheld from
    /// `onValidEntry`; a caller that acts on entries decides what a chain problem means for them.
    /// - Important: `onValidEntry` runs on the calling thread; an error it throws ends the check.
    public func verify(directory: String, onValidEntry: (SpoolEntry) throws -> Void) throws -> Report {
        let listing = try SpoolListing(directory: directory)
        var report = Report(directory: directory)
        for name in listing.temporaries {
            report.problems.append(.init(code: .leftoverTemporary, file: name, message: "temporary file of an interrupted write; the next collect removes it"))
        }
        for name in listing.incomplete {
            if let state = expected[name.installation], name.sequence <= state.lastSequence {
                report.problems.append(SpoolProblem.signatureMissing(name))
                continue
            }
            report.problems.append(
                .init(
                    code: .leftoverIncomplete, file: name.entryFile,
                    message: "has no \(EntryName.signatureSuffix) (an interrupted write, never committed); the next collect removes it"))
        }
        for name in listing.orphanSignatures {
            report.problems.append(
                .init(code: .entryMissing, file: name.signatureFile, message: "signature without its \(EntryName.entrySuffix): the entry was deleted"))
        }
        for name in listing.strays {
            report.problems.append(
                .init(code: .strayFile, file: name, message: "is not part of a spool (only entries, their signatures and README.md belong here)"))
        }
        report.entries = listing.entries.count

        var chain = ChainFold(expected: expected, partial: listing.incomplete + listing.orphanSignatures)
        var start = 0
        while start < listing.entries.count {
            let batch = Array(listing.entries[start..<min(start + batchSize, listing.entries.count)])
            let results = check(batch, in: directory)
            for result in results {
                switch result {
                case .success(let link):
                    report.validEntries += 1
                    if let entry = link.entry { try onValidEntry(entry) }
                    chain.add(link, problems: &report.problems)
                case .failure(let problem):
                    report.problems.append(problem.problem)
                    chain.addInvalid(problem.name)
                }
            }
            start += batchSize
        }
        chain.finish(problems: &report.problems)
        report.installations = chain.summaries
        report.declaredLosses = chain.losses
        return report
    }

    struct Failure: Error {
        var name: EntryName
        var problem: SpoolProblem
    }

    /// Checks one batch of entries in parallel; results keep the batch's order.
    func check(_ batch: [EntryName], in directory: String) -> [Result<Link, Failure>] {
        // Each iteration writes only its own slot, so the buffer is shared without a lock.
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Result<Link, Failure>?>.allocate(capacity: batch.count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        let trust = self.trust
        let limits = self.limits
        DispatchQueue.concurrentPerform(iterations: batch.count) { index in
            results[index] = Self.check(batch[index], in: directory, trust: trust, limits: limits)
        }
        return results.map { $0! }
    }

    static func check(_ name: EntryName, in directory: String, trust: any SignerTrust, limits: SpoolEntry.Limits) -> Result<Link, Failure> {
        func fail(_ code: ProblemCode, _ message: String) -> Result<Link, Failure> {
            .failure(Failure(name: name, problem: SpoolProblem(code: code, file: name.entryFile, message: message)))
        }
        func failure(_ problem: EntryProblem) -> Result<Link, Failure> {
            .failure(Failure(name: name, problem: SpoolProblem(code: problem.code, file: problem.file(of: name), message: problem.description)))
        }
        /// A file over its size limit is `too_large`, like an oversized file handed over in memory.
        func read(_ file: String, maxBytes: Int, limit: SizeLimit) -> Result<[UInt8], EntryProblem> {
            do {
                return .success(try FileSystem.read(directory + "/" + file, maxBytes: maxBytes))
            } catch let error as FileSystemError where error.errno == EFBIG {
                return .failure(.tooLarge(limit, limit: maxBytes))
            } catch {
                return .failure(.unreadable("\(error)"))
            }
        }
        let compressed: [UInt8]
        let signature: [UInt8]
        switch read(name.entryFile, maxBytes: limits.maxFileBytes, limit: .entryFile) {
        case .success(let bytes): compressed = bytes
        case .failure(let problem): return failure(problem)
        }
        switch read(name.signatureFile, maxBytes: limits.maxSignatureBytes, limit: .signatureFile) {
        case .success(let bytes): signature = bytes
        case .failure(.unreadable(let why)):
            return .failure(Failure(name: name, problem: SpoolProblem(code: .unreadable, file: name.signatureFile, message: "cannot be read: \(why)")))
        case .failure(let problem): return failure(problem)
        }
        let entry: SpoolEntry
        do {
            entry = try SpoolEntry.open(compressed: compressed, signatureText: signature, trust: trust, limits: limits)
        } catch {
            return failure(error)
        }
        guard entry.name == name else {
            return fail(
                .nameMismatch,
                "holds entry \(entry.name.stem) (installation \(entry.metadata.installation), sequence \(entry.metadata.sequence)): renamed, swapped or duplicated"
            )
        }
        return .success(Link(name: name, digest: entry.digest, previous: entry.metadata.previous, kind: entry.metadata.kind, entry: entry))
    }
}

/// The chain check over entries in name order, one installation after another (docs/FORMAT.md,
/// "The chain rule").
///
/// A sequence counts as present when any of its files is there, valid or not (its own problem is
/// reported already); a gap is a run of sequences with no file at all that no valid tombstone of
/// the installation declares removed. A link is checked only between two valid neighbours. Gaps
/// and declared ranges are settled when the installation's last entry has been seen, because a
/// tombstone comes after the range it declares.
struct ChainFold {
    var expected: [String: ChainState]
    /// Sequences with only one of their two files (reported as leftovers or missing entries).
    var partial: [String: [UInt64]]
    var summaries: [SpoolVerifier.Report.Installation] = []
    var losses: [SpoolVerifier.Report.DeclaredLoss] = []
    private var current: (installation: String, sequence: UInt64, digest: EntryDigest?)?
    /// Of the current installation: runs of present sequences, and holes with the entry after each.
    private var present: [SequenceRange] = []
    private var holes: [(range: SequenceRange, before: EntryName)] = []
    private var seen: Set<String> = []

    init(expected: [String: ChainState], partial: [EntryName] = []) {
        self.expected = expected
        self.partial = Dictionary(grouping: partial, by: \.installation).mapValues { $0.map(\.sequence) }
    }

    mutating func add(_ link: SpoolVerifier.Link, problems: inout [SpoolProblem]) {
        let name = link.name
        startIfNeeded(name, problems: &problems)
        summaries[summaries.count - 1].entries += 1
        if let current, current.sequence > 0, name.sequence == current.sequence + 1,
            let digest = current.digest, link.previous != digest
        {
            problems.append(
                .init(
                    code: .chainBroken, file: name.entryFile,
                    message: "links previous digest \(link.previous) but entry \(current.sequence) has \(digest): an entry was replaced"))
        } else if let current, current.sequence == 0, let acknowledged = expected[name.installation]?.acknowledged,
            name.sequence == acknowledged.sequence + 1, link.previous != acknowledged.digest
        {
            // The first entry after those a receipt freed must link to the last one freed.
            problems.append(
                .init(
                    code: .chainBroken, file: name.entryFile,
                    message:
                        "links previous digest \(link.previous) but the acknowledged entry \(acknowledged.sequence) had \(acknowledged.digest): an entry was replaced"
                ))
        }
        markPresent(name)
        summaries[summaries.count - 1].lastSequence = name.sequence
        current = (name.installation, name.sequence, link.digest)
        if link.kind == .tombstone, let entry = link.entry { addTombstone(entry, problems: &problems) }
    }

    /// Records a tombstone's declared loss, settled against the present entries at the end.
    private mutating func addTombstone(_ entry: SpoolEntry, problems: inout [SpoolProblem]) {
        guard let tombstone = TombstoneBody.decode(entry.body, entry: entry.metadata) else {
            problems.append(.init(code: .tombstoneInvalid, file: entry.name.entryFile, message: TombstoneBody.invalidMessage))
            return
        }
        losses.append(
            .init(
                installation: entry.metadata.installation, tombstone: entry.metadata.sequence,
                dropped: tombstone.dropped, reason: tombstone.reason))
    }

    mutating func addInvalid(_ name: EntryName) {
        var problems: [SpoolProblem] = []
        startIfNeeded(name, problems: &problems)
        markPresent(name)
        // An invalid entry's problem is already reported; its successor's link cannot be checked.
        current = (name.installation, name.sequence, nil)
    }

    private mutating func markPresent(_ name: EntryName) {
        if let last = present.last {
            if name.sequence != last.last + 1 { holes.append((SequenceRange(first: last.last + 1, last: name.sequence - 1), name)) }
        } else if let state = expected[name.installation], name.sequence > state.firstSequence {
            // The spool should start where the state says entries were last removed on purpose.
            holes.append((SequenceRange(first: state.firstSequence, last: name.sequence - 1), name))
        }
        present.appendRun(name.sequence)
    }

    private mutating func startIfNeeded(_ name: EntryName, problems: inout [SpoolProblem]) {
        if current?.installation != name.installation {
            closeCurrent(problems: &problems)
            seen.insert(name.installation)
            summaries.append(.init(installation: name.installation, entries: 0, firstSequence: name.sequence, lastSequence: name.sequence))
            current = (name.installation, 0, nil)
            present = []
            holes = []
        }
    }

    mutating func finish(problems: inout [SpoolProblem]) {
        closeCurrent(problems: &problems)
        // Installations the state knows of but whose entries are all gone.
        for (installation, state) in expected.sorted(by: { $0.key < $1.key }) where !seen.contains(installation) {
            if state.lastSequence >= state.firstSequence {
                problems.append(
                    .init(
                        code: .entryMissing, file: EntryName(installation: installation, sequence: state.lastSequence).entryFile,
                        message: "entries \(state.firstSequence)...\(state.lastSequence) are missing (the state directory records them as written)"))
            }
        }
    }

    private mutating func closeCurrent(problems: inout [SpoolProblem]) {
        guard let current, current.sequence > 0 else { return }
        let declared = losses.filter { $0.installation == current.installation }
        let partial = (partial[current.installation] ?? []).map { SequenceRange(first: $0, last: $0) }
        for hole in holes {
            for piece in SequenceRange.subtract(declared.map(\.dropped) + partial, from: [hole.range]) {
                problems.append(gap(piece, before: hole.before))
            }
        }
        for loss in declared {
            // Present entries of a declared range: what remains of it once the missing ones are cut out.
            let stillThere = SequenceRange.subtract(SequenceRange.subtract(present, from: [loss.dropped]), from: [loss.dropped])
            if let first = stillThere.first, let last = stillThere.last {
                problems.append(
                    .init(
                        code: .leftoverPruned, file: EntryName(installation: current.installation, sequence: first.first).entryFile,
                        message:
                            "entries \(first.first)...\(last.last) are declared removed by tombstone \(loss.tombstone) but still present (an interrupted prune); the next collect removes them"
                    ))
            }
        }
        guard let state = expected[current.installation] else { return }
        if current.sequence < state.lastSequence {
            problems.append(
                .init(
                    code: .entryMissing, file: EntryName(installation: current.installation, sequence: current.sequence + 1).entryFile,
                    message:
                        "entries \(current.sequence + 1)...\(state.lastSequence) are missing (the state directory records sequence \(state.lastSequence) as the newest)"
                ))
        } else if current.sequence == state.lastSequence, let digest = current.digest, digest != state.lastDigest {
            problems.append(
                .init(
                    code: .chainBroken, file: EntryName(installation: current.installation, sequence: current.sequence).entryFile,
                    message: "has digest \(digest) but the state directory records \(state.lastDigest) for this sequence: the entry was replaced"))
        }
    }

    private func gap(_ range: SequenceRange, before name: EntryName) -> SpoolProblem {
        let what = range.first == range.last ? "entry \(range.first) is" : "entries \(range.first)...\(range.last) are"
        return SpoolProblem(code: .sequenceGap, file: name.entryFile, message: "\(what) missing before this entry: deleted without a tombstone")
    }
}
