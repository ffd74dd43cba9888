import FoundationEssentials

/// File names of entries: `INSTALLATION-SEQUENCE.json.gz` and its `.sig`, so that names sort by
/// installation, then sequence (ten digits, zero-padded).
public struct EntryName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let entrySuffix = ".json.gz"
    public static let signatureSuffix = ".json.gz.sig"
    public static let maxSequence: UInt64 = 9_999_999_999

    public let installation: String
    public let sequence: UInt64

    public init(installation: String, sequence: UInt64) {
        self.installation = installation
        self.sequence = sequence
    }

    public var stem: String {
        let digits = String(sequence)
        return installation + "-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    public var entryFile: String { stem + Self.entrySuffix }
    public var signatureFile: String { stem + Self.signatureSuffix }
    public var description: String { entryFile }

    /// Parses an entry or signature file name; nil for any other name.
    public init?(fileName: String) {
        let stem: Substring
        if fileName.hasSuffix(Self.signatureSuffix) {
            stem = fileName.dropLast(Self.signatureSuffix.count)
        } else if fileName.hasSuffix(Self.entrySuffix) {
            stem = fileName.dropLast(Self.entrySuffix.count)
        } else {
            return nil
        }
        let bytes = stem.utf8
        guard bytes.count == 36 + 1 + 10 else { return nil }
        let uuid = stem.prefix(36)
        let digits = stem.suffix(10)
        guard bytes[bytes.index(bytes.startIndex, offsetBy: 36)] == UInt8(ascii: "-"), TextRules.isLowercaseUUID(uuid),
            digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let sequence = UInt64(digits), sequence >= 1
        else { return nil }
        self.init(installation: String(uuid), sequence: sequence)
    }

    public static func < (a: EntryName, b: EntryName) -> Bool {
        (a.installation, a.sequence) < (b.installation, b.sequence)
    }
}
