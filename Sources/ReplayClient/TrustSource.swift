import SpoolFormat

/// Whom the uploader trusts: an allowed_signers file, or first use with the ledger's pins
/// (recorded when an entry of the installation is accepted, ``SpoolScan``).
public enum TrustSource: Sendable {
    case allowedSigners(AllowedSigners)
    case firstUse(pins: [String: SSHPublicKey])

    public var trust: any SignerTrust {
        switch self {
        case .allowedSigners(let signers): return signers
        case .firstUse(let pins): return FirstUseTrust(pins: pins)
        }
    }
}
