import Crypto

/// The SHA-256 digest that identifies an entry: the hash of its signed message
/// (the metadata line, a newline, the body). It links the chain and is the `Idempotency-Key`.
public struct EntryDigest: Hashable, Sendable, CustomStringConvertible, Codable {
    public static let prefix = "sha256:"
    /// The `previous` link of an installation's first entry.
    public static let genesis = EntryDigest(bytes: [UInt8](repeating: 0, count: 32))

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public init<D: Digest>(_ digest: D) { self.bytes = Array(digest) }

    public static func of(message: [UInt8]) -> EntryDigest { EntryDigest(SHA256.hash(data: message)) }

    /// Parses `sha256:` and 64 lowercase hex digits.
    public init?(_ text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let hex = Array(text.utf8.dropFirst(Self.prefix.count))
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var i = 0
        while i < 64 {
            guard let hi = Self.nibble(hex[i]), let lo = Self.nibble(hex[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self.bytes = bytes
    }

    public var hex: String { TextRules.lowercaseHex(bytes) }

    public var description: String { Self.prefix + hex }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil  // uppercase is refused: one spelling per digest
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let digest = EntryDigest(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not sha256:<64 lowercase hex digits>"))
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
