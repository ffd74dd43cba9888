import Foundation

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
        guard stem.count == 36 + 1 + 10 else { return nil }
        let uuid = String(stem.prefix(36))
        let separator = stem[stem.index(stem.startIndex, offsetBy: 36)]
        let digits = stem.suffix(10)
        guard separator == "-", UUID(uuidString: uuid) != nil, uuid == uuid.lowercased(),
              digits.allSatisfy({ $0.isASCII && $0.isNumber }), let sequence = UInt64(digits), sequence >= 1 else { return nil }
        self.init(installation: uuid, sequence: sequence)
    }

    public static func < (a: EntryName, b: EntryName) -> Bool {
        (a.installation, a.sequence) < (b.installation, b.sequence)
    }
}
