import Foundation
import PropertyBased
import SpoolFormat
import Testing

/// The spooler trims configuration values without Foundation's `CharacterSet`; these check that
/// it trims exactly as Foundation does, for strings mixing ASCII and Unicode white space,
/// combining marks and line breaks.
@Suite("Trimming as Foundation trims")
struct TrimmingTests {
    static let scalars = Gen<String?>.element(of: [
        " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2003}", "\u{2028}", "\u{2029}", "\u{202F}",
        "\u{3000}", "\u{FEFF}", "\u{301}", "a", "Z", "0", "=", "\u{E9}", "\u{1F600}", "\u{0}",
    ]).map { $0! }

    @Test("trimmingWhitespace and trimmingWhitespaceAndNewlines agree with trimmingCharacters(in:)")
    func agreesWithFoundation() async {
        await propertyCheck(count: 4000, input: Self.scalars.array(of: 0...8)) { parts in
            let text = parts.joined()
            #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
            #expect(
                text.trimmingWhitespaceAndNewlines() == text.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(text.unicodeScalars))")
            let sub = text.dropFirst()
            #expect(sub.trimmingWhitespace() == sub.trimmingCharacters(in: .whitespaces))
        }
    }

    /// U+200B ZERO WIDTH SPACE is a format character (Cf) since Unicode 4.0.1, not white space:
    /// it is kept, where this platform's Foundation trims it.
    @Test func keepsZeroWidthSpace() {
        #expect(" \u{200B} ".trimmingWhitespace() == "\u{200B}")
        #expect("\n\u{200B}\n".trimmingWhitespaceAndNewlines() == "\u{200B}")
    }
}
