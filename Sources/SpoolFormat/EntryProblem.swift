/// Why an entry cannot be accepted. `code` is stable for scripts; `description` is for people.
public enum EntryProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case tooLarge(SizeLimit, limit: Int)
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

    /// The file of an entry the problem is about (docs/FORMAT.md, "Problem codes"): the `.sig` for
    /// what the `.sig` alone decides (its size, its armor and blob, its namespace), else the `.json.gz`.
    public func file(of name: EntryName) -> String {
        switch self {
        case .signatureMalformed, .wrongNamespace, .tooLarge(.signatureFile, _): return name.signatureFile
        case .tooLarge: return name.entryFile
        case .unreadable, .gzip, .metadataLineMissing, .badSignature, .untrustedKey, .wrongSigner,
            .keyMismatch, .unsupportedFormat, .metadataInvalid, .requestPathInvalid, .bodyMismatch:
            return name.entryFile
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let why): return "cannot be read: \(why)"
        case .tooLarge(let what, let limit): return what.description(limit: limit)
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

/// The reader limits of docs/FORMAT.md; passing any of them is `too_large`.
public enum SizeLimit: Sendable, Equatable {
    /// The `.json.gz` file's size.
    case entryFile
    /// The `.sig` file's size.
    case signatureFile
    /// The metadata line's length, without its newline.
    case metadataLine
    /// The message: metadata line, newline and body together (what both gzip members hold).
    case decompressed
    /// The decompressed total divided by the `.json.gz` file's size.
    case ratio

    public func description(limit: Int) -> String {
        switch self {
        case .entryFile: return "the .json.gz file is larger than the limit of \(limit) bytes"
        case .signatureFile: return "the .sig file is larger than the limit of \(limit) bytes"
        case .metadataLine: return "the metadata line is longer than the limit of \(limit) bytes"
        case .decompressed: return "decompresses to more than the limit of \(limit) bytes"
        case .ratio: return "decompresses to more than \(limit) times its size (the ratio limit against decompression bombs)"
        }
    }
}
