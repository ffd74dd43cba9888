/// Reads a metadata line spelled exactly as the spool writer spells it, without a JSON parser.
///
/// Decoding the line with `JSONDecoder` and checking its keys was a fifth of the CPU time of
/// `spooler verify`, and as much again in the uploader and the receiver, for lines that all
/// have one shape: compact JSON, sorted keys, strings of printable ASCII without escapes, integers
/// without sign or leading zero. This reader accepts that shape only and returns nil for any
/// other byte, and `EntryMetadata.decode(line:)` then reads the line with `JSONDecoder` as
/// before. A line it accepts is one that the full path reads to the same fields (it holds every
/// known key once and nothing else, so the strict rules hold), so the verdict on every line is
/// unchanged; `CanonicalMetadataLineTests` and the entry fuzzer compare the two readings.
enum CanonicalMetadataLine {
    static func read(_ line: [UInt8]) -> EntryMetadata? {
        line.withUnsafeBufferPointer { bytes in
            var reader = Reader(bytes: bytes)
            return reader.metadata()
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        mutating func metadata() -> EntryMetadata? {
            guard literal("{\"bodyLength\":"), let bodyLength = integer(),
                literal(",\"bodySHA256\":"), let bodySHA256 = string(),
                literal(",\"created\":"), let created = string(),
                literal(",\"format\":"), let format = integer(), format == EntryMetadata.currentFormat,
                literal(",\"installation\":"), let installation = string(),
                literal(",\"key\":"), let key = string(),
                literal(",\"kind\":"), let kindName = string(), let kind = EntryKind(rawValue: kindName),
                literal(",\"previous\":"), let previousText = string(), let previous = EntryDigest(previousText),
                literal(",\"productVersion\":"), let productVersion = string(),
                literal(",\"request\":{\"contentType\":"), let contentType = string(),
                literal(",\"method\":"), let method = string(),
                literal(",\"path\":"), let path = string(),
                literal("},\"schema\":"), let schema = integer(),
                literal(",\"sequence\":"), let sequence = integer(),
                literal("}"), index == bytes.count
            else { return nil }
            return EntryMetadata(
                format: format, kind: kind, installation: installation, sequence: UInt64(sequence), created: created,
                productVersion: productVersion, schema: schema, previous: previous, key: key,
                request: ReplayRequest(method: method, path: path, contentType: contentType),
                bodyLength: bodyLength, bodySHA256: bodySHA256)
        }

        private mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
            index += count
            return true
        }

        /// A string of printable ASCII without `"` or `\`: its value is its bytes.
        private mutating func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            var end = start
            while end < bytes.count {
                let byte = bytes[end]
                if byte == UInt8(ascii: "\"") { break }
                guard byte >= 0x20, byte < 0x7f, byte != UInt8(ascii: "\\") else { return nil }
                end += 1
            }
            guard end < bytes.count else { return nil }
            index = end + 1
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }

        /// `0` or a digit 1–9 then up to 17 digits: no sign, no leading zero, never past `Int.max`.
        private mutating func integer() -> Int? {
            let start = index
            var value = 0
            while index < bytes.count, index - start < 18, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            let digits = index - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
            // A 19th digit is not read as part of the number: it makes the next literal fail.
            return value
        }
    }
}
