import CZlib

/// Gzip members written and read through libz.
///
/// An entry file is a concatenation of gzip members (RFC 1952). zlib handles one member per
/// stream; this type loops over members itself so that it can require an exact member count,
/// each member's CRC and length trailer, and no trailing bytes.
public enum Gzip {
    /// Limits that bound the work a hostile file can cause.
    public struct Limits: Sendable {
        /// Largest decompressed size of all members together.
        public var maxOutputBytes: Int
        /// Largest allowed ratio of decompressed to compressed size (decompression bombs).
        public var maxRatio: Int

        public init(maxOutputBytes: Int, maxRatio: Int) {
            self.maxOutputBytes = maxOutputBytes
            self.maxRatio = maxRatio
        }
    }

    public enum Failure: Error, Equatable, Sendable {
        case notGzip
        case truncated
        case corrupt(String)
        case tooLarge(limit: Int)
        case ratioExceeded(limit: Int)
        case wrongMemberCount(expected: Int, found: Int)
        case trailingBytes(Int)
        case zlib(Int32)
    }

    /// The only member header entries use: deflate, no flags, mtime 0, no extra flags, OS Unix.
    ///
    /// RFC 1952 leaves MTIME, XFL and OS unchecked by any CRC; requiring these exact bytes means
    /// a change to any byte of an entry file is detected.
    public static let canonicalHeader: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]

    /// Compresses `input` as one gzip member with ``canonicalHeader`` (level 6, which sets XFL 0).
    public static func compressMember(_ input: [UInt8]) throws -> [UInt8] {
        // zlib's state points back at the stream, so the stream needs a stable address.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        var rc = deflateInit2_(
            stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw Failure.zlib(rc) }
        defer { deflateEnd(stream) }
        // zlib keeps this pointer until deflate finishes, so it must not be a temporary.
        let header = UnsafeMutablePointer<gz_header>.allocate(capacity: 1)
        header.initialize(to: gz_header())
        header.pointee.os = 3  // Unix, whatever platform zlib was built for
        defer { header.deallocate() }
        rc = deflateSetHeader(stream, header)
        guard rc == Z_OK else { throw Failure.zlib(rc) }

        let bound = Int(deflateBound(stream, uLong(input.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        var input = input
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.pointee.next_in = inBuf.baseAddress
                stream.pointee.avail_in = uInt(inBuf.count)
                stream.pointee.next_out = outBuf.baseAddress
                stream.pointee.avail_out = uInt(outBuf.count)
                rc = deflate(stream, Z_FINISH)
                return outBuf.count - Int(stream.pointee.avail_out)
            }
        }
        guard rc == Z_STREAM_END else { throw Failure.zlib(rc) }
        output.removeSubrange(produced...)
        return output
    }

    /// Decompresses exactly `expectedMembers` gzip members from `data`.
    ///
    /// - Throws: ``Failure`` when the data is not gzip, a member is truncated or corrupt (CRC or
    ///   length trailer), there are more or fewer members than expected, bytes follow the last
    ///   member, or a limit is passed. Output is produced in bounded chunks and never sized
    ///   from the ISIZE trailer. With `requireCanonicalHeader`, each member must start with
    ///   ``canonicalHeader`` and the padding bits of its last deflate byte must be zero, so that
    ///   no byte of the file can change without the change being detected.
    public static func decompressMembers(
        _ data: [UInt8], expectedMembers: Int, limits: Limits, requireCanonicalHeader: Bool = false
    ) throws -> [[UInt8]] {
        guard data.count >= 2, data[0] == 0x1f, data[1] == 0x8b else { throw Failure.notGzip }
        let outputCap = min(limits.maxOutputBytes, max(data.count, 1) &* limits.maxRatio)
        var members: [[UInt8]] = []
        var offset = 0
        var budget = Budget(maxOutput: limits.maxOutputBytes, cap: outputCap, maxRatio: limits.maxRatio)
        let inflater = try Inflater()
        while offset < data.count {
            if members.count == expectedMembers {
                throw Failure.trailingBytes(data.count - offset)
            }
            if data.count - offset < 2 || data[offset] != 0x1f || data[offset + 1] != 0x8b {
                throw members.count < expectedMembers
                    ? Failure.corrupt("member \(members.count + 1) has no gzip header")
                    : Failure.trailingBytes(data.count - offset)
            }
            if requireCanonicalHeader,
                data.count - offset < canonicalHeader.count || !data[offset..<offset + canonicalHeader.count].elementsEqual(canonicalHeader)
            {
                throw Failure.corrupt(
                    "member \(members.count + 1) does not start with the canonical header \(canonicalHeader.map { String($0, radix: 16) }.joined(separator: " "))"
                )
            }
            let (member, end) = try inflater.member(data, from: offset, budget: &budget)
            if requireCanonicalHeader, try inflater.hasPaddingBitsSet(data, memberStart: offset, memberEnd: end, output: member) {
                throw Failure.corrupt("member \(members.count + 1) has non-zero padding bits after its last deflate block")
            }
            members.append(member)
            offset = end
        }
        guard members.count == expectedMembers else {
            throw Failure.wrongMemberCount(expected: expectedMembers, found: members.count)
        }
        return members
    }

    /// Output accounting across the members of one file.
    struct Budget {
        var maxOutput: Int
        var cap: Int
        var maxRatio: Int
        var total = 0

        mutating func add(_ count: Int) throws {
            total += count
            if total > maxOutput { throw Failure.tooLarge(limit: maxOutput) }
            if total > cap { throw Failure.ratioExceeded(limit: maxRatio) }
        }
    }

    /// One zlib inflate stream, reset for each member.
    final class Inflater {
        // zlib's state points back at the stream, so the stream needs a stable address.
        private let stream: UnsafeMutablePointer<z_stream>
        private var chunk = [UInt8](repeating: 0, count: 16 * 1024)

        init() throws {
            stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            let rc = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else {
                stream.deallocate()
                throw Failure.zlib(rc)
            }
        }

        deinit {
            inflateEnd(stream)
            stream.deallocate()
        }

        /// Inflates the member starting at `start`; returns its content and the offset after its trailer.
        func member(_ data: [UInt8], from start: Int, budget: inout Budget) throws -> ([UInt8], Int) {
            let rc = inflateReset(stream)
            guard rc == Z_OK else { throw Failure.zlib(rc) }
            var member: [UInt8] = []
            try data.withUnsafeBufferPointer { inBuf in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress! + start)
                stream.pointee.avail_in = uInt(data.count - start)
                while true {
                    let (status, produced) = chunk.withUnsafeMutableBufferPointer { outBuf in
                        stream.pointee.next_out = outBuf.baseAddress
                        stream.pointee.avail_out = uInt(outBuf.count)
                        let status = inflate(stream, Z_NO_FLUSH)
                        return (status, outBuf.count - Int(stream.pointee.avail_out))
                    }
                    try budget.add(produced)
                    member.append(contentsOf: chunk[0..<produced])
                    switch status {
                    case Z_STREAM_END:
                        return
                    case Z_OK:
                        continue
                    case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                        throw Failure.truncated
                    case Z_BUF_ERROR:
                        continue
                    case Z_DATA_ERROR:
                        let message = stream.pointee.msg.map { String(cString: $0) } ?? "invalid data"
                        throw Failure.corrupt(message)
                    default:
                        throw Failure.zlib(status)
                    }
                }
            }
            return (member, data.count - Int(stream.pointee.avail_in))
        }

        /// True when the last deflate byte carries set padding bits.
        ///
        /// Inflate ignores the bits after the final end-of-block code, so a flip there changes the
        /// file but not its content. Padding bits are the highest bits of that byte: if clearing
        /// the highest set bit still inflates to the same content, that bit was padding.
        func hasPaddingBitsSet(_ data: [UInt8], memberStart: Int, memberEnd: Int, output: [UInt8]) throws -> Bool {
            let last = memberEnd - 9  // the byte before the 8-byte CRC32/ISIZE trailer
            guard last > memberStart + 10, data[last] != 0 else { return false }
            var altered = Array(data[memberStart..<memberEnd])
            let highest = UInt8(1) << (7 - UInt8(data[last].leadingZeroBitCount))
            altered[last - memberStart] &= ~highest
            var budget = Budget(maxOutput: .max, cap: .max, maxRatio: .max)
            guard let (content, _) = try? member(altered, from: 0, budget: &budget) else { return false }
            return content == output
        }
    }
}

extension Gzip.Failure: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notGzip: return "not a gzip file (bad magic bytes)"
        case .truncated: return "gzip data is truncated"
        case .corrupt(let why): return "gzip data is corrupt (\(why))"
        case .tooLarge(let limit): return "decompresses to more than \(limit) bytes"
        case .ratioExceeded(let limit): return "decompression ratio exceeds \(limit):1 (possible decompression bomb)"
        case .wrongMemberCount(let expected, let found): return "has \(found) gzip member(s), expected \(expected)"
        case .trailingBytes(let count): return "has \(count) trailing byte(s) after the last gzip member"
        case .zlib(let code): return "zlib error \(code)"
        }
    }
}
