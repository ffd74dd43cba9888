/// The check of a detached SSHSIG over a whole file (a batch manifest, a receipt): one namespace
/// per kind of file, so a signature made for one kind never passes for another.
public enum DetachedSignature {
    public enum Failure: Error, Equatable, Sendable {
        /// Malformed, or made in another namespace.
        case invalid(String)
        /// A signature over other bytes: the file changed after signing.
        case mismatch
        /// A good signature by a key `trust` does not allow for the principal and namespace.
        case untrusted(SSHPublicKey)
    }

    /// Checks `signatureText` over `message`: the namespace, the signature, and that `trust` lets
    /// the key sign in `namespace` as `principal`. Returns the signing key.
    public static func check(
        message: [UInt8], signatureText: [UInt8], namespace: String, principal: String,
        trust: any SignerTrust
    ) throws(Failure) -> SSHPublicKey {
        let signature: SSHSignature
        do {
            signature = try SpoolEntry.parseSignature(signatureText)
        } catch {
            throw .invalid(error.description)
        }
        guard signature.namespace == namespace else { throw .invalid("namespace is '\(signature.namespace)', expected '\(namespace)'") }
        guard signature.isValid(for: message, namespace: namespace) else { throw .mismatch }
        guard trust.allows(signature.publicKey, principal: principal, namespace: namespace) else { throw .untrusted(signature.publicKey) }
        return signature.publicKey
    }
}
