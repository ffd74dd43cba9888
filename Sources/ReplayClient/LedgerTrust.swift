import SpoolFormat

/// Trust on first use, with the keys pinned in the ledger.
///
/// Every key is known (so the signature is checked before any JSON is parsed); an installation
/// pinned to a key accepts only that key, an installation not pinned yet accepts any. The pin is
/// recorded when an entry of the installation is accepted (``SpoolScan``).
public struct LedgerTrust: SignerTrust {
    public var pins: [String: SSHPublicKey]

    public init(pins: [String: SSHPublicKey]) { self.pins = pins }

    public func allows(_ key: SSHPublicKey, principal: String, namespace: String) -> Bool {
        namespace == SpoolEntry.namespace && (pins[principal].map { $0 == key } ?? true)
    }

    public func knows(_ key: SSHPublicKey, namespace: String) -> Bool { namespace == SpoolEntry.namespace }
}

/// Whom the uploader trusts: an allowed_signers file, or first use with the ledger's pins.
public enum TrustSource: Sendable {
    case allowedSigners(AllowedSigners)
    case firstUse(pins: [String: SSHPublicKey])

    public var trust: any SignerTrust {
        switch self {
        case .allowedSigners(let signers): return signers
        case .firstUse(let pins): return LedgerTrust(pins: pins)
        }
    }
}
