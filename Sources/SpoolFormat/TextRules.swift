import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Strict, byte-level checks of the text fields of entries and names.
///
/// These run for every entry on every verify, so they work on UTF-8 bytes rather than on
/// `Character`s, and accept exactly one spelling of each value.
public enum TextRules {
    /// A lowercase UUID: 8-4-4-4-12 lowercase hex digits.
    public static func isLowercaseUUID<S: StringProtocol>(_ text: S) -> Bool {
        let bytes = text.utf8
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            switch index {
            case 8, 13, 18, 23:
                guard byte == UInt8(ascii: "-") else { return false }
            default:
                guard isLowerHex(byte) else { return false }
            }
        }
        return true
    }

    /// 1–64 characters of `[A-Za-z0-9.+_-]`.
    public static func isVersion<S: StringProtocol>(_ text: S) -> Bool {
        let bytes = text.utf8
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy { byte in
                isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    /// A release number as it may leave the site: 1 to 3 dot-separated numbers of 1 to 6 digits,
    /// optionally followed by `-alpha`, `-beta`, `-rc` or `-pre` and at most 3 digits
    /// (`2021.2.7`, `3.0.0-rc2`). Nothing else: no letters that could spell a host or a name, and
    /// never four numbers, which could be an IPv4 address.
    public static func isReleaseVersion<S: StringProtocol>(_ text: S) -> Bool {
        var rest = Substring(text)
        var suffix: Substring = ""
        if let dash = rest.firstIndex(of: "-") {
            suffix = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
            guard let tag = ["alpha", "beta", "rc", "pre"].first(where: { suffix.hasPrefix($0) }) else { return false }
            let number = suffix.dropFirst(tag.count)
            guard number.count <= 3, number.utf8.allSatisfy(isDigit) else { return false }
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        return (1...3).contains(parts.count) && parts.allSatisfy { (1...6).contains($0.utf8.count) && $0.utf8.allSatisfy(isDigit) }
    }

    /// The UTF-8 byte-order mark some Windows editors write at the start of a text file.
    public static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The lines of a text file we read (configuration, allowed_signers, small value files).
    ///
    /// Accepts UTF-8 with or without a byte-order mark, and LF or CRLF line ends, so a file saved
    /// on Windows reads as the same lines as on Linux. Splitting is on bytes because Swift treats
    /// "\r\n" as one `Character`, which a split on "\n" never finds. A carriage return anywhere
    /// else (classic Mac line ends), a NUL byte or invalid UTF-8 is refused, naming the line:
    /// the file is never read as other lines than an editor shows.
    /// A final line end gives a last, empty line, so line numbers match an editor's.
    public static func lines(_ bytes: some Collection<UInt8>) throws(TextProblem) -> [String] {
        var content = Array(bytes)
        if content.starts(with: byteOrderMark) { content.removeFirst(byteOrderMark.count) }
        var lines: [String] = []
        for (index, rawLine) in content.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if line.last == 0x0D { line = line.dropLast() }
            if line.contains(0x0D) { throw .carriageReturn(line: index + 1) }
            if line.contains(0) { throw .nulByte(line: index + 1) }
            guard let text = String(validating: line, as: UTF8.self) else { throw .notUTF8(line: index + 1) }
            lines.append(text)
        }
        return lines
    }

    /// Two lowercase hex digits per byte, as `sha256sum` prints a digest.
    public static func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}

/// Why a text file cannot be read as lines; the reader adds the file's name.
public enum TextProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case notUTF8(line: Int)
    case carriageReturn(line: Int)
    case nulByte(line: Int)

    public var line: Int {
        switch self {
        case .notUTF8(let line), .carriageReturn(let line), .nulByte(let line): return line
        }
    }

    public var description: String {
        switch self {
        case .notUTF8: return "is not UTF-8 text"
        case .carriageReturn: return "holds a carriage return (CR) that does not end a line; save the file with LF or CRLF line ends"
        case .nulByte: return "holds a NUL byte; this is not a text file"
        }
    }
}

/// UTC timestamps with second precision: `2026-11-25T11:41:58Z`, and nothing else.
public enum UTCTimestamp {
    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(parts.tm_year + 1900)
        return
            "\(String(repeating: "0", count: max(0, 4 - year.count)))\(year)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// Parses the exact form `format` writes; nil for anything else, including impossible dates.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for i in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
                value = value * 10 + Int32(b[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = timegm(&parts)
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        // timegm normalises out-of-range fields (month 13, 31 February): refuse them.
        return format(date) == text ? date : nil
    }
}
