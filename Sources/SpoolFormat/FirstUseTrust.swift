/// Trust on first use: any key may sign for an installation not pinned yet; a pinned
/// installation accepts only its pinned key.
///
/// Every key is known, so the signature is still checked before any JSON is parsed. Who records
/// a pin, and when, is the caller's business: the uploader pins in its ledger when an entry is
/// accepted, the receiver in the transaction that stores the entry (it checks with no pins).
public struct FirstUseTrust: SignerTrust {
    /// Installation ID → the key its first accepted entry was signed with.
    public var pins: [String: SSHPublicKey]

    public init(pins: [String: SSHPublicKey] = [:]) { self.pins = pins }

    public func allows(_ key: SSHPublicKey, principal: String, namespace: String) -> Bool {
        namespace == SpoolEntry.namespace && (pins[principal].map { $0 == key } ?? true)
    }

    public func knows(_ key: SSHPublicKey, namespace: String) -> Bool { namespace == SpoolEntry.namespace }
}
