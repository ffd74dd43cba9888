import Crypto
import SpoolFormat
import Testing

@Suite("allowed_signers files")
struct AllowedSignersTests {
    let key = SSHPublicKey(Curve25519.Signing.PrivateKey().publicKey)
    let other = SSHPublicKey(Curve25519.Signing.PrivateKey().publicKey)

    @Test("principals, patterns and namespaces limit what a key may sign")
    func principalsAndNamespaces() throws {
        let text = """
            # vendor's signers
            aaaa,bbbb namespaces="\(SpoolEntry.namespace)" \(key.openSSHLine())
            c* \(other.openSSHLine(comment: "a comment"))
            dddd ssh-rsa AAAAB3NzaC1yc2E= skipped
            """
        let signers = try AllowedSigners(text: text)
        #expect(signers.signers.count == 2)
        #expect(signers.allows(key, principal: "bbbb", namespace: SpoolEntry.namespace))
        #expect(!signers.allows(key, principal: "cccc", namespace: SpoolEntry.namespace))
        #expect(!signers.allows(key, principal: "aaaa", namespace: "file"))
        #expect(signers.allows(other, principal: "c-anything", namespace: "file"))
        // No namespaces option: the key may sign in any namespace, for its principals only.
        #expect(signers.knows(other, namespace: "x"))
        #expect(!signers.knows(SSHPublicKey(Curve25519.Signing.PrivateKey().publicKey), namespace: SpoolEntry.namespace))
    }

    @Test("a malformed line is reported with its file and line number")
    func malformedLine() throws {
        let error = #expect(throws: AllowedSignersError.self) {
            try AllowedSigners(text: "\n\naaaa ssh-ed25519 not-base64!", file: "signers.txt")
        }
        #expect(error?.file == "signers.txt")
        #expect(error?.line == 3)
        #expect(error?.description.hasPrefix("signers.txt:3: ") == true)
    }

    @Test("cert-authority lines are refused rather than misread")
    func certAuthority() {
        #expect(throws: AllowedSignersError.self) {
            try AllowedSigners(text: "*@example cert-authority \(key.openSSHLine())")
        }
    }
}
