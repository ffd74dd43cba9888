import FoundationEssentials

/// Base64 that accepts exactly one spelling of each byte string.
///
/// A lenient decoder maps several texts to the same bytes (changed unused bits of the last
/// character, missing padding, whitespace); a signature or key must have one spelling only.
public enum StrictBase64 {
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        Data(bytes).base64EncodedString()
    }

    public static func decode(_ text: Substring) -> [UInt8]? { decode(String(text)) }

    public static func decode(_ text: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        return [UInt8](data)
    }
}
