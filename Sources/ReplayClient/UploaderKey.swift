import Crypto
import Foundation
import SpoolFormat
import SpoolProtocol
import SpoolStore

/// The uploader's own Ed25519 key, which signs receipts. It lives beside the ledger (the directory
/// of `--ledger FILE`), so one option selects both; created on first use, 0600, an OpenSSH private key like
/// the spooler's signing key.
public enum UploaderKey {
    public static let fileName = "uploader-key"

    /// The key beside the ledger at `ledgerPath`, created if there is none yet.
    /// - Parameter notice: told when a key in the earlier format is converted to OpenSSH's.
    public static func loadOrCreate(
        ledgerPath: String, notice: (String) -> Void = { _ in }
    ) throws -> (key: Curve25519.Signing.PrivateKey, path: String, created: Bool) {
        let directory = FileSystem.directory(containing: ledgerPath)
        let (key, created) = try SigningKeyFile.loadOrCreate(fileName, comment: DeliveryReceipt.principal, in: directory, notice: notice)
        return (key, FileSystem.path(fileName, in: directory), created)
    }

    /// The OpenSSH public key line, or the allowed_signers line a spooler's `trusted_uploaders` holds.
    public static func publicKeyLine(_ key: Curve25519.Signing.PrivateKey, allowedSigners: Bool) -> String {
        let publicKey = SSHPublicKey(key.publicKey)
        return allowedSigners ? DeliveryReceipt.allowedSignersLine(key: publicKey) : publicKey.openSSHLine(comment: DeliveryReceipt.principal)
    }
}
