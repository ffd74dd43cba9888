import SpoolFormat
import SpoolProtocol
import SpoolStore

/// The verification of a spool before upload: `SpoolVerifier`'s report, the entries that may be
/// sent, and the entries to quarantine, with their reasons.
public struct SpoolScan: Sendable {
    /// An entry that passed every per-entry check.
    public struct Accepted: Sendable {
        public var name: EntryName
        public var digest: EntryDigest
        public var key: SSHPublicKey
        public var productVersion: String
        /// The verified entry, kept in memory while the scan's budget allows, so that exactly the
        /// verified bytes are sent; `nil` beyond it (the entry is read and verified again).
        public var entry: SpoolEntry?
        /// The folder holding the entry's files: the spool, or its batch folder.
        public var folder: String

        public init(name: EntryName, digest: EntryDigest, key: SSHPublicKey, productVersion: String, entry: SpoolEntry?, folder: String) {
            self.name = name
            self.digest = digest
            self.key = key
            self.productVersion = productVersion
            self.entry = entry
            self.folder = folder
        }
    }

    /// An entry that must never be sent.
    public struct Quarantined: Sendable {
        public var name: EntryName
        /// The entry digest, when the entry itself could be read.
        public var digest: EntryDigest?
        public var code: ProblemCode
        public var message: String
        public var file: String
    }

    public var report: SpoolVerifier.Report
    /// The accepted entries, in name order; empty when the scan was run with `listAccepted: false`.
    public var accepted: [Accepted] = []
    /// How many entries were accepted, listed or not.
    public var acceptedCount = 0
    public var quarantined: [Quarantined] = []
    /// Installations pinned by this scan (trust on first use): their first entry's key.
    public var newPins: [String: SSHPublicKey] = [:]
    /// The report's problems and those of trust on first use, in file order.
    public var problems: [SpoolProblem] = []

    public var isClean: Bool { problems.isEmpty }

    /// True when entries are missing between what the ledger held and this scan.
    public var hasLedgerGap: Bool { problems.contains { $0.code == .sequenceGapLedger } }

    /// Whether a problem withholds the entry whose file it names. Problems about the spool or the
    /// chain rather than the content of one entry are reported, but withhold nothing.
    static func quarantines(_ code: ProblemCode) -> Bool {
        switch code {
        case .unreadable, .tooLarge, .gzipInvalid, .metadataMissing, .signatureMalformed, .signatureNamespace, .signatureInvalid,
            .keyUntrusted, .keyWrongInstallation, .keyMismatch, .formatUnsupported, .metadataInvalid, .requestPathInvalid,
            .bodyMismatch, .nameMismatch, .tombstoneInvalid, .keyNotPinned, .entryChanged, .leftoverPruned,
            // A batch file that differs from, or is missing in, the signed manifest.
            .digestMismatch, .extraFile, .beyondHead,
            // A second entry at a sequence the ledger already holds with another digest.
            .sequenceFork:
            return true
        // A committed entry whose `.sig` is gone is not sent, and not quarantined either: restoring
        // the `.sig` makes it sendable again.
        case .leftoverTemporary, .leftoverIncomplete, .entryMissing, .signatureMissing, .strayFile, .sequenceGap, .chainBroken,
            .batchIncomplete, .manifestMalformed, .manifestUnsupported, .manifestSignatureInvalid, .manifestUntrustedKey,
            .fileMissing, .allowedSignersMismatch,
            // Genuine entries after a hole: sent, and the hole reported.
            .sequenceGapLedger,
            // Receipts are refused by the spooler; an uploader scan never meets them.
            .receiptMalformed, .receiptSignatureInvalid, .receiptUntrustedKey, .receiptWrongInstallation,
            .receiptUnknownDigest, .receiptReplayed:
            return false
        }
    }

    /// Verifies `directory`: a spool (with `SpoolVerifier`), a batch folder, or a folder of batch
    /// folders (with `BatchVerifier`, each against its signed manifest). Applies trust on first use
    /// within the scan: an installation not pinned yet is pinned to the key of its first valid
    /// entry, and its entries signed by another key are quarantined. Against `holdings`, what the
    /// ledger already holds: an entry at a sequence it holds with another digest is a fork
    /// (quarantined), and sequences missing between its chain and the scan's are a gap (reported).
    /// - Parameters:
    ///   - keep: whether to hand an accepted entry over with its verified contents (for sending
    ///     exactly what was verified) or by name only; ``accepted`` always holds names only, so
    ///     that what the scan keeps does not grow with the entries' contents.
    ///   - listAccepted: whether ``accepted`` lists the accepted entries. The uploader takes them
    ///     from `onAccepted` instead, so that what the scan keeps does not grow by a few hundred
    ///     bytes per entry.
    ///   - onAccepted: called with each accepted entry as soon as its batch is verified, in name
    ///     order, on the calling thread (so sending can start before the whole spool is verified).
    public static func run(
        directory: String, trust: TrustSource, holdings: LedgerHoldings = .init(),
        keep: (SpoolEntry) throws -> Bool = { _ in false }, listAccepted: Bool = true,
        onAccepted: (Accepted) throws -> Void = { _ in }
    ) throws -> SpoolScan {
        var scan = SpoolScan(report: .init(directory: directory))
        var extraProblems: [SpoolProblem] = []
        let holdsBatches = try BatchVerifier.holdsBatches(directory)
        // What the scan keeps per entry, each name's installation and each key shared between
        // entries (a string and two arrays less per entry), so that a large spool costs a few
        // dozen bytes per entry here.
        var installations: [String: String] = [:]
        var keys: [String: SSHPublicKey] = [:]
        var validNames = EntryNameRuns()
        // The digest accepted at each name in this scan: a batch exported twice is sent once. (A
        // spool holds one entry per name: only batches can repeat one.)
        var acceptedDigests: [EntryName: EntryDigest] = [:]
        var pinned: [String: SSHPublicKey] = [:]
        var firstUse = false
        if case .firstUse(let pins) = trust {
            pinned = pins
            firstUse = true
        }
        func quarantine(_ entry: SpoolEntry, _ code: ProblemCode, _ message: String, file: String) {
            scan.quarantined.append(Quarantined(name: entry.name, digest: entry.digest, code: code, message: message, file: entry.name.entryFile))
            extraProblems.append(SpoolProblem(code: code, file: file, message: message))
        }
        // `prefix` is the entry's folder relative to `directory`, for the problems it names.
        func consider(_ entry: SpoolEntry, folder: String, prefix: String) throws {
            let installation = installations[entry.name.installation] ?? entry.name.installation
            installations[installation] = installation
            let name = EntryName(installation: installation, sequence: entry.name.sequence)
            validNames.insert(name)
            var key = entry.signature.publicKey
            if let known = keys[installation], known == key { key = known } else { keys[installation] = key }
            let file = prefix + entry.name.entryFile
            if let earlier = acceptedDigests[entry.name] {
                if earlier != entry.digest {
                    quarantine(
                        entry, .sequenceFork,
                        "has digest \(entry.digest), but another entry \(entry.name.sequence) of installation \(installation) with digest \(earlier) is in this scan: two different entries at one sequence (a state directory restored from a backup?); quarantined, never sent",
                        file: file)
                }
                return
            }
            if let held = try holdings.digests(at: entry.name).first(where: { $0 != entry.digest }) {
                quarantine(
                    entry, .sequenceFork,
                    "has digest \(entry.digest), but the ledger already holds entry \(entry.name.sequence) of installation \(installation) with digest \(held): two different entries at one sequence (a state directory restored from a backup?); quarantined, never sent",
                    file: file)
                return
            }
            if firstUse {
                if let pin = pinned[installation] {
                    if pin != key {
                        // Only possible within this scan: the ledger's pins were checked by the verifier.
                        quarantine(
                            entry, .keyNotPinned,
                            "signed by key \(key.fingerprint), but installation \(installation) was pinned to \(pin.fingerprint) by its first entry in this spool",
                            file: file)
                        return
                    }
                } else {
                    pinned[installation] = key
                    scan.newPins[installation] = key
                }
            }
            if holdsBatches { acceptedDigests[name] = entry.digest }
            var item = Accepted(
                name: name, digest: entry.digest, key: key, productVersion: entry.metadata.productVersion,
                entry: nil, folder: folder)
            scan.acceptedCount += 1
            if listAccepted { scan.accepted.append(item) }
            if try keep(entry) { item.entry = entry }
            try onAccepted(item)
        }

        // The ranges of each installation's chain this scan covers, for the gap check.
        var covered: [String: [Covered]] = [:]
        var problems: [SpoolProblem] = []
        if holdsBatches {
            let single = BatchVerifier.isBatch(directory)
            let verifier = BatchVerifier(trust: batchTrust(trust))
            var installations: [String: SpoolVerifier.Report.Installation] = [:]
            for folder in try BatchVerifier.batches(in: directory) {
                let prefix = single ? "" : FileSystem.name(of: folder) + "/"
                let batch = try verifier.verify(batch: folder) { entry in
                    if entry.metadata.kind == .tombstone, let tombstone = TombstoneBody.decode(entry.body, entry: entry.metadata) {
                        scan.report.declaredLosses.append(
                            .init(
                                installation: entry.name.installation, tombstone: entry.name.sequence,
                                dropped: tombstone.dropped, reason: tombstone.reason))
                    }
                    try consider(entry, folder: folder, prefix: prefix)
                }
                problems += batch.problems.map { SpoolProblem(code: $0.code, file: prefix + $0.file, message: $0.message) }
                scan.report.validEntries += batch.validEntries
                guard let installation = batch.installation, let first = batch.first, let last = batch.last else { continue }
                scan.report.entries += Int(last - first + 1)
                covered[installation, default: []].append(Covered(range: SequenceRange(first: first, last: last), prefix: prefix))
                var summary = installations[installation] ?? .init(installation: installation, entries: 0, firstSequence: first, lastSequence: last)
                summary.entries += Int(last - first + 1)
                summary.firstSequence = min(summary.firstSequence, first)
                summary.lastSequence = max(summary.lastSequence, last)
                installations[installation] = summary
            }
            scan.report.installations = installations.values.sorted { $0.installation < $1.installation }
            scan.report.problems = problems
        } else {
            scan.report = try SpoolVerifier(trust: trust.trust, batchSize: 2048).verify(directory: directory) { entry in
                try consider(entry, folder: directory, prefix: "")
            }
            problems = scan.report.problems
            for installation in scan.report.installations {
                covered[installation.installation] = [
                    Covered(range: SequenceRange(first: installation.firstSequence, last: installation.lastSequence), prefix: "")
                ]
            }
        }
        extraProblems += gaps(covered: covered, holdings: holdings, declared: scan.report.declaredLosses, directory: directory)
        scan.problems = problems + extraProblems
        // Every entry the verifier did not pass has a problem naming one of its two files.
        var seen = Set<EntryName>()
        for problem in problems where quarantines(problem.code) {
            guard let name = EntryName(fileName: FileSystem.name(of: problem.file)), !validNames.contains(name), seen.insert(name).inserted else { continue }
            scan.quarantined.append(Quarantined(name: name, digest: nil, code: problem.code, message: problem.message, file: problem.file))
        }
        scan.problems.sort { ($0.file, $0.code.rawValue) < ($1.file, $1.code.rawValue) }
        return scan
    }

    /// Batch manifests are signed in their own namespace: under trust on first use, the pinned
    /// keys (or, unpinned, any key) may sign them as well as entries.
    static func batchTrust(_ trust: TrustSource) -> any SignerTrust {
        switch trust {
        case .allowedSigners(let signers): return signers
        case .firstUse(let pins): return FirstUseTrust(pins: pins, namespaces: [SpoolEntry.namespace, BatchManifest.namespace])
        }
    }

    /// Sequences missing between what the ledger holds and what the scan covers, or between the
    /// scan's own batches, that no tombstone declares removed. The entries after a gap are genuine
    /// and still sent; the gap is reported so that the operator looks for the missing batch.
    struct Covered {
        var range: SequenceRange
        /// The folder of the batch, relative to the scanned directory.
        var prefix: String
    }

    static func gaps(
        covered: [String: [Covered]], holdings: LedgerHoldings, declared: [SpoolVerifier.Report.DeclaredLoss],
        directory: String
    ) -> [SpoolProblem] {
        var problems: [SpoolProblem] = []
        for (installation, ranges) in covered.sorted(by: { $0.key < $1.key }) {
            let losses = (holdings.declaredLosses[installation] ?? []) + declared.filter { $0.installation == installation }.map(\.dropped)
            var reach = holdings.highest[installation]
            var fromLedger = true
            for (range, prefix) in ranges.sorted(by: { $0.range.first < $1.range.first }).map({ ($0.range, $0.prefix) }) {
                if let reached = reach, range.first > reached + 1 {
                    let missing = SequenceRange.subtract(losses, from: [SequenceRange(first: reached + 1, last: range.first - 1)])
                    let names = missing.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)...\($0.last)" }.joined(separator: ", ")
                    let file = prefix + EntryName(installation: installation, sequence: range.first).entryFile
                    let one = missing.count == 1 && missing[0].first == missing[0].last
                    if !missing.isEmpty, fromLedger {
                        problems.append(
                            SpoolProblem(
                                code: .sequenceGapLedger, file: file,
                                message:
                                    "\(one ? "entry" : "entries") \(names) of installation \(installation) \(one ? "is" : "are") missing: the ledger holds its entries up to \(reached), and \(directory) starts at \(range.first); upload the batch or spool that holds them (the entries after the gap are still sent)"
                            ))
                    } else if !missing.isEmpty {
                        problems.append(
                            SpoolProblem(
                                code: .sequenceGap, file: file,
                                message:
                                    "\(one ? "entry" : "entries") \(names) of installation \(installation) \(one ? "is" : "are") missing between the batches in \(directory): no batch holds them and no tombstone declares them removed"
                            ))
                    }
                }
                if reach.map({ range.last > $0 }) ?? true {
                    reach = range.last
                    fromLedger = false
                }
            }
        }
        return problems
    }
}
