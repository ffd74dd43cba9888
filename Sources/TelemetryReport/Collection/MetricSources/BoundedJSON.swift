import SpoolFormat

/// A JSON value read from an untrusted source (a command's stdout, a file).
///
/// Numbers keep whether they were written as integers, so a count of `3.0` or `1e3` can be told
/// from `3` and `1000`, and an integer too large for 64 bits is never silently rounded.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// An integer literal that fits in 64 bits.
    case integer(Int64)
    /// Any other number (fraction, exponent, or too large for 64 bits).
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A short description of the value's JSON type, for messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer, .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue: Encodable {
    /// Writes the value back as JSON (integers as integers), for printing what was read.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        }
    }
}

/// Why a JSON text was refused, as a stable code.
public enum JSONReadError: Error, Equatable, Sendable {
    case tooLarge
    case tooDeep
    case invalid

    public var code: String {
        switch self {
        case .tooLarge: return "output_too_large"
        case .tooDeep: return "json_too_deep"
        case .invalid: return "invalid_json"
        }
    }
}

/// A strict JSON reader with caps on size, nesting depth and element count.
///
/// RFC 8259 only: no comments, no trailing commas, no NaN or Infinity literals, no duplicate
/// object keys, no bytes after the value except whitespace.
public struct BoundedJSON: Sendable {
    public var maxBytes: Int
    public var maxDepth: Int
    public var maxElements: Int

    public init(maxBytes: Int = 64 * 1024, maxDepth: Int = 8, maxElements: Int = 4096) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxElements = maxElements
    }

    public func parse(_ bytes: [UInt8]) throws(JSONReadError) -> JSONValue {
        guard bytes.count <= maxBytes else { throw .tooLarge }
        var parser = Parser(bytes: bytes, limits: self)
        // A byte-order mark is allowed before the value (RFC 8259 §8.1), as a Windows editor
        // writes it; CR is JSON whitespace, so CRLF line ends need nothing more.
        if bytes.starts(with: TextRules.byteOrderMark) { parser.index = TextRules.byteOrderMark.count }
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw .invalid }
        return value
    }

    struct Parser {
        let bytes: [UInt8]
        let limits: BoundedJSON
        var index = 0
        var elements = 0

        init(bytes: [UInt8], limits: BoundedJSON) {
            self.bytes = bytes
            self.limits = limits
        }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[index]) { index += 1 }
        }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func expect(_ literal: String) throws(JSONReadError) {
            for byte in literal.utf8 {
                guard peek() == byte else { throw .invalid }
                index += 1
            }
        }

        mutating func count() throws(JSONReadError) {
            elements += 1
            guard elements <= limits.maxElements else { throw .tooLarge }
        }

        mutating func value(depth: Int) throws(JSONReadError) -> JSONValue {
            try count()
            guard let byte = peek() else { throw .invalid }
            switch byte {
            case UInt8(ascii: "{"):
                guard depth < limits.maxDepth else { throw .tooDeep }
                index += 1
                var object: [String: JSONValue] = [:]
                skipWhitespace()
                if peek() == UInt8(ascii: "}") {
                    index += 1
                    return .object(object)
                }
                while true {
                    skipWhitespace()
                    let key = try string()
                    guard object[key] == nil else { throw .invalid }
                    skipWhitespace()
                    try expect(":")
                    skipWhitespace()
                    object[key] = try value(depth: depth + 1)
                    skipWhitespace()
                    if peek() == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect("}")
                    return .object(object)
                }
            case UInt8(ascii: "["):
                guard depth < limits.maxDepth else { throw .tooDeep }
                index += 1
                var array: [JSONValue] = []
                skipWhitespace()
                if peek() == UInt8(ascii: "]") {
                    index += 1
                    return .array(array)
                }
                while true {
                    skipWhitespace()
                    array.append(try value(depth: depth + 1))
                    skipWhitespace()
                    if peek() == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect("]")
                    return .array(array)
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            default:
                return try number()
            }
        }

        mutating func string() throws(JSONReadError) -> String {
            try expect("\"")
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() throws(JSONReadError) {
                guard !raw.isEmpty else { return }
                guard let text = String(validating: raw, as: UTF8.self) else { throw .invalid }
                scalars.append(contentsOf: text.unicodeScalars)
                raw.removeAll()
            }
            while true {
                guard let byte = peek() else { throw .invalid }
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    try flush()
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    try flush()
                    guard let escape = peek() else { throw .invalid }
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code) {
                            try expect("\\u")
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw .invalid }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw .invalid }
                        scalars.append(scalar)
                    default:
                        throw .invalid
                    }
                case 0x00..<0x20:
                    throw .invalid
                default:
                    raw.append(byte)
                }
            }
        }

        mutating func hex4() throws(JSONReadError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw .invalid }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = UInt32(String(UnicodeScalar(bytes[index])), radix: 16) else { throw .invalid }
                value = value * 16 + digit
                index += 1
            }
            return value
        }

        mutating func number() throws(JSONReadError) -> JSONValue {
            let start = index
            func digits() -> Int {
                let from = index
                while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
                return index - from
            }
            if peek() == UInt8(ascii: "-") { index += 1 }
            let integerStart = index
            let integerDigits = digits()
            guard integerDigits > 0 else { throw .invalid }
            guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw .invalid }
            var isInteger = true
            if peek() == UInt8(ascii: ".") {
                index += 1
                isInteger = false
                guard digits() > 0 else { throw .invalid }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                isInteger = false
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw .invalid }
            }
            guard index - start <= 64 else { throw .invalid }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if isInteger, let integer = Int64(text) { return .integer(integer) }
            guard let double = Double(text) else { throw .invalid }
            return .number(double)
        }
    }
}
