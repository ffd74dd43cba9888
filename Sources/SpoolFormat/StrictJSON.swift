import FoundationEssentials

/// The spelling rules of the JSON that entries carry (the metadata line, a tombstone's body), on
/// top of RFC 8259: docs/FORMAT.md, "JSON text".
///
/// Stock parsers accept `1.0`, `1e0`, a leading byte-order mark and repeated keys (keeping the
/// first or the last) as the same document; these rules leave one reading, so that a second
/// implementation reaches the same verdict.
public enum StrictJSON {
    /// Why `text` breaks the rules, or nil: it must not start with a byte-order mark, no object may
    /// hold a key twice (compared after unescaping), and every number must be an integer written
    /// as `-?(0|[1-9][0-9]*)`, without fraction or exponent. (Whether `text` is JSON at all is left
    /// to the parser.)
    public static func problem(_ text: [UInt8]) -> String? {
        if text.starts(with: TextRules.byteOrderMark) { return "starts with a byte-order mark" }
        var index = 0
        var inString = false
        var stringStart = 0
        // The keys seen in each open object; nil for an open array.
        var containers: [Set<String>?] = []
        while index < text.count {
            let byte = text[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                index += 1
                if byte == UInt8(ascii: "\"") {
                    inString = false
                    var next = index
                    while next < text.count, [0x20, 0x09, 0x0a, 0x0d].contains(text[next]) { next += 1 }
                    if next < text.count, text[next] == UInt8(ascii: ":"), let open = containers.last, var keys = open {
                        let token = Array(text[stringStart..<index])
                        let key = plainKey(token) ?? (try? JSONDecoder().decode(String.self, from: Data(token))) ?? String(decoding: token, as: UTF8.self)
                        guard keys.insert(key).inserted else { return "holds the key \(String(decoding: token, as: UTF8.self)) twice in one object" }
                        containers[containers.count - 1] = keys
                    }
                }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
                stringStart = index
                index += 1
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                containers.append(byte == UInt8(ascii: "{") ? [] : nil)
                index += 1
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                _ = containers.popLast()
                index += 1
            } else if byte == UInt8(ascii: "-") || TextRules.isDigit(byte) {
                let start = index
                while index < text.count, isNumberByte(text[index]) { index += 1 }
                let token = text[start..<index]
                if token.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
                    return "number \(String(decoding: token, as: UTF8.self)) is not written as an integer (no fraction, no exponent)"
                }
            } else {
                index += 1
            }
        }
        return nil
    }

    /// A quoted key of printable ASCII without escapes reads as the bytes between its quotes,
    /// exactly what a JSON parser makes of it; a parser is needed only for the others (and a
    /// parser per key was most of the cost of checking a metadata line).
    private static func plainKey(_ token: [UInt8]) -> String? {
        guard token.count >= 2 else { return nil }
        let inner = token[1..<token.count - 1]
        guard inner.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "\"") }) else { return nil }
        return String(decoding: inner, as: UTF8.self)
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        TextRules.isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }
}
