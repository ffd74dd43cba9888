/// The SSH wire encoding used by OpenSSH keys and signatures (RFC 4251 §5).
struct SSHWireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw<S: Sequence>(_ data: S) where S.Element == UInt8 { bytes.append(contentsOf: data) }

    mutating func uint32(_ value: UInt32) {
        bytes.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)])
    }

    /// `string(x)`: a big-endian uint32 length, then the bytes.
    mutating func string<C: Collection>(_ data: C) where C.Element == UInt8 {
        uint32(UInt32(data.count))
        raw(data)
    }

    mutating func string(_ text: String) { string(Array(text.utf8)) }
}

/// Reads SSH wire data, failing on any overrun.
struct SSHWireReader {
    struct Overrun: Error {}

    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func raw(_ count: Int) throws -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw Overrun() }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func uint32() throws -> UInt32 {
        let b = try raw(4)
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    mutating func string() throws -> [UInt8] { try raw(Int(try uint32())) }

    mutating func text() throws -> String? { String(validating: try string(), as: UTF8.self) }
}
