import Crypto
import Foundation
import GRDB
import SpoolFormat
import SpoolProtocol
import SpoolStore

/// Writes receipts from the ledger (`uploader receipt`): per installation, every entry the
/// endpoint accepted and the losses tombstones declared, signed with the uploader key.
public struct ReceiptIssuer {
    public let ledger: Ledger

    public init(ledger: Ledger) { self.ledger = ledger }

    /// The installations the ledger holds delivered entries or declared losses of.
    public func installations() throws -> [String] {
        try ledger.pool.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT installation FROM entry WHERE state = 'delivered'
                    UNION SELECT installation FROM declaredLoss ORDER BY installation
                    """)
        }
    }

    /// The receipt for `installation` as the ledger stands.
    public func receipt(installation: String, now: Date = Date()) throws -> DeliveryReceipt {
        try ledger.pool.read { db in
            let delivered = try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, digest FROM entry WHERE installation = ? AND state = 'delivered' AND digest IS NOT NULL ORDER BY sequence
                    """, arguments: [installation]
            ).compactMap { row -> DeliveryReceipt.Delivered? in
                let digest: String = row["digest"]
                let sequence: Int64 = row["sequence"]
                return EntryDigest(digest).map { DeliveryReceipt.Delivered(sequence: UInt64(sequence), digest: $0) }
            }
            let lost = try Row.fetchAll(
                db, sql: "SELECT first, last FROM declaredLoss WHERE installation = ? ORDER BY first",
                arguments: [installation]
            ).map { SequenceRange(first: $0["first"], last: $0["last"]) }
            return DeliveryReceipt(installation: installation, issued: now, delivered: delivered, lost: lost)
        }
    }

    /// Writes `receipt` to `path` and its signature to `path.sig`, each fsynced.
    public static func write(_ receipt: DeliveryReceipt, to path: String, key: Curve25519.Signing.PrivateKey) throws {
        let bytes = receipt.encoded()
        let signature = try DeliveryReceipt.sign(bytes, key: key)
        var directory = FileSystem.directory(containing: path)
        if directory.isEmpty { directory = "." }
        let durable = try DurableDirectory(path: directory)
        let name = String(path.split(separator: "/").last ?? Substring(path))
        try durable.publish(bytes, as: name, replace: true)
        try durable.publish(Array(signature.armored.utf8), as: name + DeliveryReceipt.signatureSuffix, replace: true)
    }
}
