import FoundationEssentials
import SpoolFormat

/// The body of a tombstone entry: which of the installation's entries a spool limit removed, and
/// why. Specified in docs/PAYLOAD.md; compact JSON with sorted keys, then a newline.
///
/// A tombstone is an ordinary signed entry in the chain (kind `tombstone`), so a verifier and a
/// receiver see a declared loss where entries are missing, never a silent gap.
public struct TombstoneBody: Codable, Equatable, Sendable {
    public static let currentSchema = 1
    public static let typeName = "tombstone"

    public enum Reason: String, Codable, Sendable {
        /// The installation's entries took more than `max_spool_bytes`.
        case maxBytes = "max_bytes"
        /// The entries were older than `max_spool_age`.
        case maxAge = "max_age"
        /// The entries were exported but no receipt acknowledged them within `max_unacked_age`.
        case maxUnackedAge = "max_unacked_age"
    }

    public var type: String
    public var schema: Int
    public var installation: String
    /// The removed sequence numbers.
    public var dropped: SequenceRange
    /// How many entries were removed (sequences of the range already gone are not counted).
    public var entries: Int
    /// Their size on disk, both files.
    public var bytes: Int64
    public var reason: Reason
    /// The limit that was passed: bytes for `max_bytes`, seconds for `max_age` and `max_unacked_age`.
    public var limit: Int64

    public init(installation: String, dropped: SequenceRange, entries: Int, bytes: Int64, reason: Reason, limit: Int64) {
        type = Self.typeName
        schema = Self.currentSchema
        self.installation = installation
        self.dropped = dropped
        self.entries = entries
        self.bytes = bytes
        self.reason = reason
        self.limit = limit
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(self)) + [0x0a]
    }

    /// What verifiers and the receiver say of a tombstone that ``decode(_:entry:)`` refuses.
    public static let invalidMessage = "is a tombstone whose body does not declare a valid dropped range (docs/PAYLOAD.md)"

    /// Decodes and checks a tombstone body against the entry that carries it.
    public static func decode(_ body: [UInt8], entry: EntryMetadata) -> TombstoneBody? {
        guard StrictJSON.problem(body) == nil, let tombstone = try? JSONDecoder().decode(TombstoneBody.self, from: Data(body)),
            tombstone.type == typeName, tombstone.schema == currentSchema,
            tombstone.installation == entry.installation,
            tombstone.dropped.first >= 1, tombstone.dropped.first <= tombstone.dropped.last,
            tombstone.dropped.last < entry.sequence, tombstone.entries >= 0, tombstone.bytes >= 0
        else { return nil }
        return tombstone
    }
}
