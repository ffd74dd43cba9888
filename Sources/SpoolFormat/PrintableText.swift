/// Text from outside (file names, paths, values) made safe to print on a terminal.
///
/// A name can hold a newline that forges an output line, or an escape sequence that rewrites the
/// screen. Every path the executables print in text goes through ``path(_:)``; JSON output is
/// escaped by its encoder instead.
public enum PrintableText {
    /// `text` with control characters (C0, DEL, C1), bidirectional overrides, U+FFFD (what
    /// invalid UTF-8 decodes to) and backslashes written as escapes: `\n`, `\t`, `\x1b`, `\u{202e}`, `\\`.
    public static func path(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\\": result += "\\\\"
            default:
                let hex = String(scalar.value, radix: 16)
                result += scalar.value < 0x100 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
            }
        }
        return result
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7f...0x9f, 0x5c: return true
        case 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069, 0xfffd: return true
        default: return false
        }
    }
}
