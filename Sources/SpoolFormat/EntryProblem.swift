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
    case requestPathInvalid(String)
    case bodyMismatch(String)

    public var code: ProblemCode {
        switch self {
        case .unreadable: return .unreadable
        case .tooLarge: return .tooLarge
        case .gzip: return .gzipInvalid
        case .metadataLineMissing: return .metadataMissing
        case .signatureMalformed: return .signatureMalformed
        case .wrongNamespace: return .signatureNamespace
        case .badSignature: return .signatureInvalid
        case .untrustedKey: return .keyUntrusted
        case .wrongSigner: return .keyWrongInstallation
        case .keyMismatch: return .keyMismatch
        case .unsupportedFormat: return .formatUnsupported
        case .metadataInvalid: return .metadataInvalid
        case .requestPathInvalid: return .requestPathInvalid
        case .bodyMismatch: return .bodyMismatch
        }
    }

    /// The file of an entry the problem is about: only a malformed signature is the `.sig`'s.
    public func file(of name: EntryName) -> String {
        switch self {
        case .signatureMalformed: return name.signatureFile
        case .unreadable, .tooLarge, .gzip, .metadataLineMissing, .wrongNamespace, .badSignature, .untrustedKey, .wrongSigner,
             .keyMismatch, .unsupportedFormat, .metadataInvalid, .requestPathInvalid, .bodyMismatch:
            return name.entryFile
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
        case .requestPathInvalid(let path): return "request path '\(path)' \(RequestPath.problem(path) ?? "breaks the request-path rule") (docs/PROTOCOL.md)"
        case .bodyMismatch(let why): return why
        }
    }
}
