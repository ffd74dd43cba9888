/// The stable codes verification reports (`[gzip_invalid]` in text, `"code"` in `--json`): scripts
/// rely on the raw values, which are listed in docs/FORMAT.md.
///
/// A `switch` over the codes is exhaustive, so a new code is a compile error wherever a decision
/// depends on it (what to quarantine, what a leftover is).
public enum ProblemCode: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    // One entry's own files.
    case unreadable
    case tooLarge = "too_large"
    case gzipInvalid = "gzip_invalid"
    case metadataMissing = "metadata_missing"
    case signatureMalformed = "signature_malformed"
    case signatureNamespace = "signature_namespace"
    case signatureInvalid = "signature_invalid"
    case keyUntrusted = "key_untrusted"
    case keyWrongInstallation = "key_wrong_installation"
    case keyMismatch = "key_mismatch"
    case formatUnsupported = "format_unsupported"
    case metadataInvalid = "metadata_invalid"
    case requestPathInvalid = "request_path_invalid"
    case bodyMismatch = "body_mismatch"
    case nameMismatch = "name_mismatch"
    case tombstoneInvalid = "tombstone_invalid"
    case keyNotPinned = "key_not_pinned"
    case entryChanged = "entry_changed"
    // The spool directory and the chains.
    case leftoverTemporary = "leftover_temporary"
    case leftoverIncomplete = "leftover_incomplete"
    case leftoverPruned = "leftover_pruned"
    case entryMissing = "entry_missing"
    case signatureMissing = "signature_missing"
    case strayFile = "stray_file"
    case sequenceGap = "sequence_gap"
    case chainBroken = "chain_broken"
    // An exported batch folder and its manifest.
    case batchIncomplete = "batch_incomplete"
    case manifestMalformed = "manifest_malformed"
    case manifestUnsupported = "manifest_unsupported"
    case manifestSignatureInvalid = "manifest_signature_invalid"
    case manifestUntrustedKey = "manifest_untrusted_key"
    case fileMissing = "file_missing"
    case extraFile = "extra_file"
    case digestMismatch = "digest_mismatch"
    case beyondHead = "beyond_head"
    case allowedSignersMismatch = "allowed_signers_mismatch"
    // What the uploader's ledger already holds, against a new spool or batch.
    case sequenceGapLedger = "sequence_gap_ledger"
    case sequenceFork = "sequence_fork"
    // A receipt carried back to the spooler.
    case receiptMalformed = "receipt_malformed"
    case receiptSignatureInvalid = "receipt_signature_invalid"
    case receiptUntrustedKey = "receipt_untrusted_key"
    case receiptWrongInstallation = "receipt_wrong_installation"
    case receiptUnknownDigest = "receipt_unknown_digest"
    case receiptReplayed = "receipt_replayed"

    public var description: String { rawValue }

    /// Leftovers of an interrupted write or prune: the next `collect` cleans them up.
    public var isLeftover: Bool {
        switch self {
        case .leftoverTemporary, .leftoverIncomplete, .leftoverPruned: return true
        case .unreadable, .tooLarge, .gzipInvalid, .metadataMissing, .signatureMalformed, .signatureNamespace, .signatureInvalid,
            .keyUntrusted, .keyWrongInstallation, .keyMismatch, .formatUnsupported, .metadataInvalid, .requestPathInvalid,
            .bodyMismatch, .nameMismatch, .tombstoneInvalid, .keyNotPinned, .entryChanged, .entryMissing, .signatureMissing, .strayFile,
            .sequenceGap, .chainBroken, .batchIncomplete, .manifestMalformed, .manifestUnsupported,
            .manifestSignatureInvalid, .manifestUntrustedKey, .fileMissing, .extraFile, .digestMismatch, .beyondHead,
            .allowedSignersMismatch, .sequenceGapLedger, .sequenceFork, .receiptMalformed, .receiptSignatureInvalid,
            .receiptUntrustedKey, .receiptWrongInstallation, .receiptUnknownDigest, .receiptReplayed:
            return false
        }
    }
}
