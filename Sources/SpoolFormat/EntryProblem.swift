/// Why an entry cannot be accepted. `code` is stable for scripts; `description` is for people.
public enum EntryProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case tooLarge(file: String, bytes: Int, limit: Int)
    case gzip(Gzip.Failure)
    case metadataLineMissing
    case signatureMalformed(String)
    case wrongNamespace(String)
    case badSignature
    case untrustedKey(fingerprint: String)
    case wrongSigner(fingerprint: String, installation: String)
    case keyMismatch(metadata: String, signature: String)
    case unsupportedFormat(Int)
    case metadataInvalid(String)
    case bodyMismatch(String)

    public var code: String {
        switch self {
        case .unreadable: return "unreadable"
        case .tooLarge: return "too_large"
        case .gzip: return "gzip_invalid"
        case .metadataLineMissing: return "metadata_missing"
        case .signatureMalformed: return "signature_malformed"
        case .wrongNamespace: return "signature_namespace"
        case .badSignature: return "signature_invalid"
        case .untrustedKey: return "key_untrusted"
        case .wrongSigner: return "key_wrong_installation"
        case .keyMismatch: return "key_mismatch"
        case .unsupportedFormat: return "format_unsupported"
        case .metadataInvalid: return "metadata_invalid"
        case .bodyMismatch: return "body_mismatch"
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let why): return "cannot be read: \(why)"
        case .tooLarge(let file, let bytes, let limit): return "\(file) has \(bytes) bytes, more than the limit of \(limit)"
        case .gzip(let failure): return "gzip check failed: \(failure)"
        case .metadataLineMissing: return "the first gzip member is not one metadata line ending in a newline"
        case .signatureMalformed(let why): return why
        case .wrongNamespace(let ns): return "signature namespace is '\(ns)', expected '\(SpoolEntry.namespace)'"
        case .badSignature: return "signature does not verify: the entry was changed or the signature belongs to another entry"
        case .untrustedKey(let fp): return "signed by key \(fp), which is not trusted (not this installation's key, or not in the allowed signers)"
        case .wrongSigner(let fp, let installation): return "key \(fp) is not allowed to sign for installation \(installation)"
        case .keyMismatch(let metadata, let signature): return "metadata names key \(metadata) but the signature was made by \(signature)"
        case .unsupportedFormat(let v): return "entry format \(v) is not supported (this version reads format \(EntryMetadata.currentFormat))"
        case .metadataInvalid(let why): return why
        case .bodyMismatch(let why): return why
        }
    }
}
