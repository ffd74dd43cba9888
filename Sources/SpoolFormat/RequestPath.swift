/// The one rule for the request path an entry records (docs/PROTOCOL.md, "Request path").
///
/// `collect` refuses to sign a path that breaks it, every verification of an entry checks it, the
/// uploader appends the path to the endpoint unchanged, and the receiver compares the request
/// target with it byte for byte. Because the rule admits only unreserved characters, no side ever
/// has to encode or decode the path, so all of them see the same bytes.
public enum RequestPath {
    /// At most this many bytes.
    public static let maxBytes = 512

    /// The receiver's own page: `GET /summary`.
    public static let summary = "/summary"

    /// Paths the reference receiver serves itself: an entry recording one of them, or a path
    /// below one, would collide with it.
    public static let reserved = [summary]

    /// Why `path` breaks the rule, or `nil` when it follows it.
    public static func problem(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return "does not start with '/'" }
        guard bytes.count <= maxBytes else { return "has \(bytes.count) bytes, more than \(maxBytes)" }
        for byte in bytes where !isUnreserved(byte) && byte != UInt8(ascii: "/") {
            switch byte {
            case UInt8(ascii: "?"): return "has a query ('?')"
            case UInt8(ascii: "#"): return "has a fragment ('#')"
            case UInt8(ascii: "%"): return "has a percent-escape ('%')"
            case ..<0x20, 0x7f: return "has a control character"
            default:
                return byte < 0x80 ? "has '\(Character(Unicode.Scalar(byte)))', which is not one of A-Z a-z 0-9 - . _ ~ /" : "has a byte outside ASCII"
            }
        }
        for segment in bytes.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.isEmpty { return "has an empty segment ('//' or a trailing '/')" }
            if segment.elementsEqual([0x2e]) || segment.elementsEqual([0x2e, 0x2e]) { return "has a '.' or '..' segment" }
        }
        let lowered = path.lowercased()
        for own in reserved where lowered == own || lowered.hasPrefix(own + "/") {
            return "is the receiver's own \(own)"
        }
        return nil
    }

    public static func isValid(_ path: String) -> Bool { problem(path) == nil }

    /// RFC 3986 unreserved characters: A-Z a-z 0-9 - . _ ~
    static func isUnreserved(_ byte: UInt8) -> Bool {
        TextRules.isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }
}
