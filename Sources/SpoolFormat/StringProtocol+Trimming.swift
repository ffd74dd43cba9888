/// Trimming as Foundation's `trimmingCharacters(in:)` did it, in plain Swift: the spooler links
/// FoundationEssentials only, which has no `CharacterSet`. Scalars, not characters, so that a
/// combining mark after a space is trimmed alike.
extension StringProtocol {
    /// Without leading and trailing spaces and tabs (`CharacterSet.whitespaces`: Unicode's space
    /// separators and U+0009); a carriage return stays.
    public func trimmingWhitespace() -> String {
        // ASCII answered without a Unicode property lookup: a configuration file is mostly ASCII.
        trimmingScalars { $0.isASCII ? $0 == " " || $0 == "\t" : $0.properties.generalCategory == .spaceSeparator }
    }

    /// Without leading and trailing white space and line breaks (`CharacterSet.whitespacesAndNewlines`,
    /// which is Unicode's White_Space property).
    public func trimmingWhitespaceAndNewlines() -> String {
        trimmingScalars { $0.isASCII ? $0 == " " || ("\t"..."\r").contains($0) : $0.properties.isWhitespace }
    }

    /// Without leading and trailing scalars for which `predicate` holds.
    public func trimmingScalars(where predicate: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !predicate($0) }),
            let last = scalars.lastIndex(where: { !predicate($0) })
        else { return "" }
        // Scalar boundaries are UTF-8 boundaries: the bytes between are copied whole, where
        // building a scalar view appends them one scalar at a time.
        return String(decoding: utf8[first..<scalars.index(after: last)], as: UTF8.self)
    }
}
