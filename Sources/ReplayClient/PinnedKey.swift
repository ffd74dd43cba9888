import Foundation
import GRDB
import SpoolFormat

/// A key the ledger trusts for one installation: pinned by the installation's first accepted
/// entry (trust on first use), or imported from an allowed_signers file (`uploader trust`).
public struct PinnedKey: Sendable, Equatable, Encodable {
    public enum Origin: String, Sendable, Encodable {
        case firstUse = "first use"
        case imported
    }

    public var installation: String
    public var key: SSHPublicKey
    public var since: Date
    public var origin: Origin

    public init(installation: String, key: SSHPublicKey, since: Date, origin: Origin) {
        self.installation = installation
        self.key = key
        self.since = since
        self.origin = origin
    }

    enum CodingKeys: String, CodingKey { case installation, fingerprint, key, since, origin }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(installation, forKey: .installation)
        try container.encode(key.fingerprint, forKey: .fingerprint)
        try container.encode(key.openSSHLine(), forKey: .key)
        try container.encode(since.formatted(.iso8601), forKey: .since)
        try container.encode(origin, forKey: .origin)
    }

    /// The pins an allowed_signers file declares: one per installation ID it names. Wildcard
    /// principals and keys not allowed to sign entries are refused: a pin is one installation's key.
    public static func pins(from signers: AllowedSigners, file: String, now: Date = Date()) throws -> [PinnedKey] {
        var pins: [String: PinnedKey] = [:]
        for signer in signers.signers {
            for principal in signer.principals {
                guard TextRules.isLowercaseUUID(Substring(principal)) else {
                    throw PinError("\(file): principal '\(principal.prefix(80))' is not an installation ID (a lowercase UUID); patterns cannot be pinned")
                }
                guard AllowedSigners(signers: [signer]).allows(signer.key, principal: principal, namespace: SpoolEntry.namespace) else {
                    throw PinError("\(file): the line for \(principal) does not allow key \(signer.key.fingerprint) to sign \(SpoolEntry.namespace)")
                }
                if let other = pins[principal], other.key != signer.key {
                    throw PinError("\(file): installation \(principal) is given two keys, \(other.key.fingerprint) and \(signer.key.fingerprint)")
                }
                pins[principal] = PinnedKey(installation: principal, key: signer.key, since: now, origin: .imported)
            }
        }
        guard !pins.isEmpty else { throw PinError("\(file): holds no allowed_signers line") }
        return pins.values.sorted { $0.installation < $1.installation }
    }
}

public struct PinError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Ledger {
    /// Every pinned key, by installation.
    public func pinnedKeys() throws -> [PinnedKey] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT installation, publicKey, pinnedAt, origin FROM pinnedKey ORDER BY installation").map { row in
                PinnedKey(
                    installation: row["installation"], key: try SSHPublicKey(openSSHLine: row["publicKey"]),
                    since: Date(timeIntervalSince1970: row["pinnedAt"]), origin: PinnedKey.Origin(rawValue: row["origin"]) ?? .firstUse)
            }
        }
    }

    /// What importing pins changed.
    public struct PinImport: Sendable {
        public var added: [PinnedKey] = []
        public var replaced: [(old: PinnedKey, new: PinnedKey)] = []
        public var unchanged: [PinnedKey] = []
    }

    /// Imports `pins` in one transaction. A pin whose key contradicts the ledger's pin for the same
    /// installation is refused, and nothing is imported, unless `replace`.
    public func importPins(_ pins: [PinnedKey], replace: Bool) throws -> PinImport {
        let existing = Dictionary(try pinnedKeys().map { ($0.installation, $0) }, uniquingKeysWith: { a, _ in a })
        var result = PinImport()
        var conflicts: [String] = []
        for pin in pins {
            guard let old = existing[pin.installation] else {
                result.added.append(pin)
                continue
            }
            if old.key == pin.key {
                result.unchanged.append(old)
            } else {
                result.replaced.append((old, pin))
                conflicts.append(
                    "installation \(pin.installation) is pinned to \(old.key.fingerprint) (\(old.origin.rawValue), since \(old.since.formatted(.iso8601))), the file gives \(pin.key.fingerprint)"
                )
            }
        }
        if !conflicts.isEmpty, !replace {
            throw PinError(
                conflicts.joined(separator: "\n")
                    + "\nnothing imported; give --replace to pin the file's keys instead (after checking the new key with the installation's operator)")
        }
        try pool.write { db in
            for pin in result.added + result.replaced.map(\.new) {
                try db.execute(
                    sql: """
                        INSERT INTO pinnedKey (installation, publicKey, fingerprint, pinnedAt, origin) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (installation) DO UPDATE SET publicKey = excluded.publicKey, fingerprint = excluded.fingerprint,
                            pinnedAt = excluded.pinnedAt, origin = excluded.origin
                        """, arguments: [pin.installation, pin.key.openSSHLine(), pin.key.fingerprint, pin.since.timeIntervalSince1970, pin.origin.rawValue])
            }
        }
        return result
    }
}
