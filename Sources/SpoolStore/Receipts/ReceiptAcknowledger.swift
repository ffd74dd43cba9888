import FoundationEssentials
import Logging
import SpoolFormat
import SpoolProtocol

/// Applies a receipt carried back from the uploader (`spooler ack`): checks it completely, then
/// removes the delivered entries from the spool.
///
/// Checked before anything changes: the signature against the trusted uploader keys, the
/// installation, that it is newer than every receipt applied, and every listed digest against the
/// spool (a digest the spool never had refuses the whole receipt). Removed: the unbroken run of
/// delivered entries (with the spool's own digests) from the spool's `firstSequence` on; a
/// delivered entry after one that is not stays, so the spool always holds an unbroken chain from
/// `firstSequence` to the head. The receipt's contiguous mark is not needed for that: entries
/// below `firstSequence` are already accounted for by the spool's own state (acked or tombstoned),
/// which the uploader may never have seen.
///
/// Order, for crash safety: the chain state is saved first (new `firstSequence`, and the last
/// removed link as `acknowledged`, which the entry after it must link to), then the applied
/// receipt, then the entries are removed, each `.sig` before its `.json.gz`. A crash leaves at
/// worst entries below `firstSequence`, which the next collect or ack removes.
public struct ReceiptAcknowledger {
    public struct Outcome: Sendable, Equatable {
        /// The removed sequences, nil when nothing was removed.
        public var removed: SequenceRange?
        public var entries: Int
        public var bytes: Int64
        /// The receipt's delivered entries that stay, because an earlier entry was not delivered.
        public var kept: Int
    }

    public let spool: String
    public let state: StateDirectory
    public let identity: StateDirectory.Identity
    public let trust: any SignerTrust

    public init(spool: String, state: StateDirectory, identity: StateDirectory.Identity, trust: any SignerTrust) {
        self.spool = spool
        self.state = state
        self.identity = identity
        self.trust = trust
    }

    /// Applies the receipt at `path` (its signature at `path.sig`).
    /// - Throws: ``ReceiptRefusal`` when the receipt must not be applied (nothing changed).
    public func acknowledge(receiptAt path: String, logger: Logger, productVersion: String) throws -> Outcome {
        let signaturePath = path + DeliveryReceipt.signatureSuffix
        func read(_ file: String, max: Int) throws -> [UInt8] {
            guard FileSystem.exists(file) else { throw ReceiptRefusal(code: .receiptMalformed, file: file, message: "does not exist") }
            return try FileSystem.read(file, maxBytes: max)
        }
        let bytes = try read(path, max: DeliveryReceipt.maxBytes)
        let signature = try read(signaturePath, max: SpoolEntry.Limits().maxSignatureBytes)
        let receipt: DeliveryReceipt
        do {
            try DeliveryReceipt.verifySignature(receipt: bytes, signatureText: signature, trust: trust)
            receipt = try DeliveryReceipt.decode(bytes)
        } catch {
            throw ReceiptRefusal(code: error.code, file: error.code == .receiptMalformed ? path : signaturePath, message: error.description)
        }
        guard receipt.installation == identity.installation else {
            throw ReceiptRefusal(
                code: .receiptWrongInstallation, file: path,
                message: "is for installation \(receipt.installation), but this spooler is installation \(identity.installation)")
        }

        let writer = try SpoolWriter(spool: spool, state: state, identity: identity, logger: logger)
        let digest = DeliveryReceipt.digest(of: bytes)
        let applied = try state.loadAppliedReceipts(installation: identity.installation)
        if let reason = applied?.replayReason(issued: receipt.issued, digest: digest) {
            throw ReceiptRefusal(code: .receiptReplayed, file: path, message: "is refused: \(reason)")
        }

        // Every listed digest must be the spool's own; entries already removed are checked where
        // the state still records them (the last acknowledged link).
        let chain = writer.chain
        let present = try SpoolListing(directory: spool).entries.filter { $0.installation == identity.installation && $0.sequence >= chain.firstSequence }
        let bySequence = Dictionary(present.map { ($0.sequence, $0) }, uniquingKeysWith: { a, _ in a })
        var matched: Set<UInt64> = []
        for item in receipt.delivered {
            let known: EntryDigest?
            if item.sequence >= chain.firstSequence {
                known = try bySequence[item.sequence].map { try writer.read($0).digest }
            } else if let acknowledged = chain.acknowledged, acknowledged.sequence == item.sequence {
                known = acknowledged.digest
            } else {
                continue
            }
            guard known == item.digest else {
                throw ReceiptRefusal(
                    code: .receiptUnknownDigest, file: path,
                    message: "lists entry \(item.sequence) with digest \(item.digest), which this spool never had"
                        + (known.map { " (it holds \($0))" } ?? ""))
            }
            matched.insert(item.sequence)
        }

        // The unbroken run of delivered entries at the start of the spool.
        var removed: [EntryName] = []
        var next = chain.firstSequence
        for name in present where name.sequence == next && matched.contains(next) {
            removed.append(name)
            next += 1
        }
        var outcome = Outcome(
            removed: nil, entries: removed.count, bytes: removed.reduce(0) { $0 + writer.size(of: $1) },
            kept: matched.filter { $0 >= next }.count)
        if let last = removed.last {
            writer.chain.firstSequence = last.sequence + 1
            writer.chain.acknowledged = ChainState.Link(sequence: last.sequence, digest: try writer.read(last).digest)
            try state.saveChain(writer.chain)
            outcome.removed = SequenceRange(first: removed[0].sequence, last: last.sequence)
        }
        try state.saveAppliedReceipts(
            applied?.adding(issued: receipt.issued, digest: digest)
                ?? AppliedReceipts(installation: identity.installation, issued: receipt.issued, digests: [digest]))
        // Also finishes an earlier ack or prune that was interrupted before its removals.
        try writer.prune(limits: SpoolLimits(), productVersion: productVersion)
        return outcome
    }
}

/// Why a receipt was not applied; nothing was changed.
public struct ReceiptRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: ProblemCode
    public var file: String
    public var message: String

    public var description: String { "\(file): \(message) [\(code)]; nothing was changed" }
}
