import SpoolFormat
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
    public var accepted: [Accepted] = []
    public var quarantined: [Quarantined] = []
    /// Installations pinned by this scan (trust on first use): their first entry's key.
    public var newPins: [String: SSHPublicKey] = [:]
    /// The report's problems and those of trust on first use, in file order.
    public var problems: [SpoolProblem] = []

    public var isClean: Bool { problems.isEmpty }

    /// Whether a problem withholds the entry whose file it names. Problems about the spool or the
    /// chain rather than the content of one entry are reported, but withhold nothing.
    static func quarantines(_ code: ProblemCode) -> Bool {
        switch code {
        case .unreadable, .tooLarge, .gzipInvalid, .metadataMissing, .signatureMalformed, .signatureNamespace, .signatureInvalid,
             .keyUntrusted, .keyWrongInstallation, .keyMismatch, .formatUnsupported, .metadataInvalid, .requestPathInvalid,
             .bodyMismatch, .nameMismatch, .tombstoneInvalid, .keyNotPinned, .entryChanged, .leftoverPruned,
             // A batch file that differs from, or is missing in, the signed manifest.
             .digestMismatch, .extraFile, .beyondHead:
            return true
        // A committed entry whose `.sig` is gone is not sent, and not quarantined either: restoring
        // the `.sig` makes it sendable again.
        case .leftoverTemporary, .leftoverIncomplete, .entryMissing, .signatureMissing, .strayFile, .sequenceGap, .chainBroken,
             .batchIncomplete, .manifestMalformed, .manifestUnsupported, .manifestSignatureInvalid, .manifestUntrustedKey,
             .fileMissing, .allowedSignersMismatch:
            return false
        }
    }

    /// Verifies `directory` with `SpoolVerifier`, applying trust on first use within the spool: an
    /// installation not pinned yet is pinned to the key of its first valid entry, and its entries
    /// signed by another key are quarantined.
    /// - Parameters:
    ///   - keepBytes: how many bytes of verified entries to keep in memory for sending.
    ///   - onAccepted: called with each accepted entry as soon as its batch is verified, in name
    ///     order, on the calling thread (so sending can start before the whole spool is verified).
    public static func run(directory: String, trust: TrustSource, keepBytes: Int = 0,
                           onAccepted: (Accepted) throws -> Void = { _ in }) throws -> SpoolScan {
        var accepted: [Accepted] = []
        var quarantined: [Quarantined] = []
        var extraProblems: [SpoolProblem] = []
        var newPins: [String: SSHPublicKey] = [:]
        var validNames = Set<EntryName>()
        var pinned: [String: SSHPublicKey] = [:]
        var firstUse = false
        if case .firstUse(let pins) = trust { pinned = pins; firstUse = true }
        var kept = 0
        let report = try SpoolVerifier(trust: trust.trust, batchSize: 2048).verify(directory: directory) { entry in
            validNames.insert(entry.name)
            let installation = entry.name.installation, key = entry.signature.publicKey
            if firstUse {
                if let pin = pinned[installation] {
                    if pin != key {
                        // Only possible within this scan: the ledger's pins were checked by the verifier.
                        let message = "signed by key \(key.fingerprint), but installation \(installation) was pinned to \(pin.fingerprint) by its first entry in this spool"
                        quarantined.append(Quarantined(name: entry.name, digest: entry.digest, code: .keyNotPinned, message: message, file: entry.name.entryFile))
                        extraProblems.append(SpoolProblem(code: .keyNotPinned, file: entry.name.entryFile, message: message))
                        return
                    }
                } else {
                    pinned[installation] = key
                    newPins[installation] = key
                }
            }
            let size = entry.body.count + entry.metadataLine.count + 256
            let keep = kept + size <= keepBytes
            if keep { kept += size }
            let item = Accepted(name: entry.name, digest: entry.digest, key: key,
                                productVersion: entry.metadata.productVersion, entry: keep ? entry : nil)
            accepted.append(item)
            try onAccepted(item)
        }
        var scan = SpoolScan(report: report)
        scan.accepted = accepted
        scan.quarantined = quarantined
        scan.newPins = newPins
        scan.problems = report.problems + extraProblems
        // Every entry the verifier did not pass has a problem naming one of its two files.
        var seen = Set<EntryName>()
        for problem in report.problems where quarantines(problem.code) {
            guard let name = EntryName(fileName: problem.file), !validNames.contains(name), seen.insert(name).inserted else { continue }
            scan.quarantined.append(Quarantined(name: name, digest: nil, code: problem.code, message: problem.message, file: problem.file))
        }
        scan.problems.sort { ($0.file, $0.code.rawValue) < ($1.file, $1.code.rawValue) }
        return scan
    }
}
