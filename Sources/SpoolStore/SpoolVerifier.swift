import Foundation
import SpoolFormat

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

        /// A tombstone's declaration: entries `first...last` were removed because of `reason`.
        public struct DeclaredLoss: Sendable, Codable, Equatable {
            public var installation: String
            public var tombstone: UInt64
            public var first: UInt64
            public var last: UInt64
            public var reason: String
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
            report.problems.append(.init(code: "leftover_temporary", file: name, message: "temporary file of an interrupted write; the next collect removes it"))
        }
        for name in listing.incomplete {
            if let state = expected[name.installation], name.sequence <= state.lastSequence {
                report.problems.append(SpoolProblem.signatureMissing(name))
                continue
            }
            report.problems.append(.init(code: "leftover_incomplete", file: name.entryFile, message: "has no \(EntryName.signatureSuffix) (an interrupted write, never committed); the next collect removes it"))
        }
        for name in listing.orphanSignatures {
            report.problems.append(.init(code: "entry_missing", file: name.signatureFile, message: "signature without its \(EntryName.entrySuffix): the entry was deleted"))
        }
        for name in listing.strays {
            report.problems.append(.init(code: "stray_file", file: name, message: "is not part of a spool (only entries, their signatures and README.md belong here)"))
        }
        report.entries = listing.entries.count

        var chain = ChainFold(expected: expected)
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
        let results = UnsafeMutableBufferPointer<Result<Link, Failure>?>.allocate(capacity: batch.count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        let trust = self.trust, limits = self.limits
        DispatchQueue.concurrentPerform(iterations: batch.count) { index in
            results[index] = Self.check(batch[index], in: directory, trust: trust, limits: limits)
        }
        return results.map { $0! }
    }

    static func check(_ name: EntryName, in directory: String, trust: any SignerTrust, limits: SpoolEntry.Limits) -> Result<Link, Failure> {
        func fail(_ code: String, _ message: String) -> Result<Link, Failure> {
            .failure(Failure(name: name, problem: SpoolProblem(code: code, file: name.entryFile, message: message)))
        }
        let compressed: [UInt8], signature: [UInt8]
        do {
            compressed = try FileSystem.read(directory + "/" + name.entryFile, maxBytes: limits.maxFileBytes)
        } catch {
            return fail("unreadable", "\(error)")
        }
        do {
            signature = try FileSystem.read(directory + "/" + name.signatureFile, maxBytes: limits.maxSignatureBytes)
        } catch {
            return .failure(Failure(name: name, problem: SpoolProblem(code: "unreadable", file: name.signatureFile, message: "\(error)")))
        }
        let entry: SpoolEntry
        do {
            entry = try SpoolEntry.open(compressed: compressed, signatureText: signature, trust: trust, limits: limits)
        } catch {
            let file = error.code.hasPrefix("signature_malformed") ? name.signatureFile : name.entryFile
            return .failure(Failure(name: name, problem: SpoolProblem(code: error.code, file: file, message: error.description)))
        }
        guard entry.name == name else {
            return fail("name_mismatch", "holds entry \(entry.name.stem) (installation \(entry.metadata.installation), sequence \(entry.metadata.sequence)): renamed, swapped or duplicated")
        }
        return .success(Link(name: name, digest: entry.digest, previous: entry.metadata.previous, kind: entry.metadata.kind, entry: entry))
    }
}

/// The chain check over entries in name order, one installation after another.
struct ChainFold {
    var expected: [String: ChainState]
    var summaries: [SpoolVerifier.Report.Installation] = []
    var losses: [SpoolVerifier.Report.DeclaredLoss] = []
    private var current: (installation: String, sequence: UInt64, digest: EntryDigest?)?
    private var seen: Set<String> = []

    init(expected: [String: ChainState]) { self.expected = expected }

    mutating func add(_ link: SpoolVerifier.Link, problems: inout [SpoolProblem]) {
        let name = link.name
        startIfNeeded(name, problems: &problems)
        summaries[summaries.count - 1].entries += 1
        if let current, current.installation == name.installation, current.sequence > 0 {
            if name.sequence == current.sequence + 1 {
                if let digest = current.digest, link.previous != digest {
                    problems.append(.init(code: "chain_broken", file: name.entryFile,
                                          message: "links previous digest \(link.previous) but entry \(current.sequence) has \(digest): an entry was replaced"))
                }
            } else if name.sequence > current.sequence + 1 {
                problems.append(gap(from: current.sequence + 1, to: name.sequence - 1, before: name))
            }
        } else if let state = expected[name.installation], name.sequence > state.firstSequence {
            // The spool should start where the state says entries were last removed on purpose.
            problems.append(gap(from: state.firstSequence, to: name.sequence - 1, before: name))
        }
        current = (name.installation, name.sequence, link.digest)
        summaries[summaries.count - 1].lastSequence = name.sequence
        if link.kind == .tombstone, let entry = link.entry { addTombstone(entry, problems: &problems) }
    }

    /// Records a tombstone's declared loss; entries it declares removed must be gone.
    private mutating func addTombstone(_ entry: SpoolEntry, problems: inout [SpoolProblem]) {
        guard let tombstone = TombstoneBody.decode(entry.body, entry: entry.metadata) else {
            problems.append(.init(code: "tombstone_invalid", file: entry.name.entryFile, message: "is a tombstone whose body does not declare a valid dropped range (docs/PAYLOAD.md)"))
            return
        }
        losses.append(.init(installation: entry.metadata.installation, tombstone: entry.metadata.sequence,
                            first: tombstone.dropped.first, last: tombstone.dropped.last, reason: tombstone.reason.rawValue))
        let present = summaries[summaries.count - 1].firstSequence
        if present <= tombstone.dropped.last {
            problems.append(.init(code: "leftover_pruned", file: EntryName(installation: entry.metadata.installation, sequence: present).entryFile,
                                  message: "entries \(present)...\(tombstone.dropped.last) are declared removed by tombstone \(entry.metadata.sequence) but still present (an interrupted prune); the next collect removes them"))
        }
    }

    mutating func addInvalid(_ name: EntryName) {
        var problems: [SpoolProblem] = []
        startIfNeeded(name, problems: &problems)
        // An invalid entry's problem is already reported; its successor's link cannot be checked.
        current = (name.installation, name.sequence, nil)
    }

    private mutating func startIfNeeded(_ name: EntryName, problems: inout [SpoolProblem]) {
        if current?.installation != name.installation {
            closeCurrent(problems: &problems)
            seen.insert(name.installation)
            summaries.append(.init(installation: name.installation, entries: 0, firstSequence: name.sequence, lastSequence: name.sequence))
            current = (name.installation, 0, nil)
        }
    }

    mutating func finish(problems: inout [SpoolProblem]) {
        closeCurrent(problems: &problems)
        // Installations the state knows of but whose entries are all gone.
        for (installation, state) in expected.sorted(by: { $0.key < $1.key }) where !seen.contains(installation) {
            if state.lastSequence >= state.firstSequence {
                problems.append(.init(code: "entry_missing", file: EntryName(installation: installation, sequence: state.lastSequence).entryFile,
                                      message: "entries \(state.firstSequence)...\(state.lastSequence) are missing (the state directory records them as written)"))
            }
        }
    }

    private mutating func closeCurrent(problems: inout [SpoolProblem]) {
        guard let current, current.sequence > 0, let state = expected[current.installation] else { return }
        if current.sequence < state.lastSequence {
            problems.append(.init(code: "entry_missing", file: EntryName(installation: current.installation, sequence: current.sequence + 1).entryFile,
                                  message: "entries \(current.sequence + 1)...\(state.lastSequence) are missing (the state directory records sequence \(state.lastSequence) as the newest)"))
        } else if current.sequence == state.lastSequence, let digest = current.digest, digest != state.lastDigest {
            problems.append(.init(code: "chain_broken", file: EntryName(installation: current.installation, sequence: current.sequence).entryFile,
                                  message: "has digest \(digest) but the state directory records \(state.lastDigest) for this sequence: the entry was replaced"))
        }
    }

    private func gap(from: UInt64, to: UInt64, before name: EntryName) -> SpoolProblem {
        let range = from == to ? "entry \(from) is" : "entries \(from)...\(to) are"
        return SpoolProblem(code: "sequence_gap", file: name.entryFile, message: "\(range) missing before this entry: deleted without a tombstone")
    }
}
