import Crypto
import FoundationEssentials
import PropertyBased
import Testing

@_spi(Differential) @testable import SpoolFormat

/// The canonical reader is a shortcut, never a second verdict: every line, read with it or with
/// `JSONDecoder` alone, gives the same fields or the same problem.
@Suite("Canonical metadata line")
struct CanonicalMetadataLineTests {
    static func outcome(_ line: [UInt8], canonicalReader: Bool) -> Result<EntryMetadata, EntryProblem> {
        do throws(EntryProblem) {
            return .success(try EntryMetadata.decode(line: line, canonicalReader: canonicalReader))
        } catch {
            return .failure(error)
        }
    }

    static func metadata(
        kind: EntryKind = .report, installation: String = "b58572c3-faca-420c-8df7-178ea2d410b2", sequence: UInt64 = 7,
        productVersion: String = "1.2.3", path: String = "/api/telemetry", method: String = "POST", schema: Int = 1,
        bodyLength: Int = 2
    ) -> EntryMetadata {
        EntryMetadata(
            format: 1, kind: kind, installation: installation, sequence: sequence, created: "2026-11-25T11:31:24Z",
            productVersion: productVersion, schema: schema, previous: EntryDigest(SHA256.hash(data: [1])),
            key: "SHA256:7jkqx0Eb0Ok3cm8hS0bDmOn2yAfMBhycoXjBbSIhI2k", request: ReplayRequest(method: method, path: path),
            bodyLength: bodyLength, bodySHA256: EntryDigest.of(message: Array("{}".utf8)).hex)
    }

    @Test("what the spool writer writes is read without JSONDecoder, to the same fields")
    func writerLinesTakeTheShortcut() throws {
        for metadata in [
            Self.metadata(), Self.metadata(kind: .tombstone, sequence: 1), Self.metadata(sequence: EntryName.maxSequence),
            Self.metadata(productVersion: "10.4.0-rc.1+build.7", path: "/v1/usage-report", method: "PUT", schema: 1000, bodyLength: 0),
        ] {
            let line = try metadata.encodedLine()
            #expect(CanonicalMetadataLine.read(line) == metadata, "\(String(decoding: line, as: UTF8.self))")
            #expect(Self.outcome(line, canonicalReader: true) == Self.outcome(line, canonicalReader: false))
        }
    }

    @Test("lines outside the canonical spelling go to JSONDecoder")
    func otherSpellingsFallBack() throws {
        let line = String(decoding: try Self.metadata().encodedLine(), as: UTF8.self)
        for variant in [
            line.replacing("{\"bodyLength\"", with: "{ \"bodyLength\""),  // whitespace
            line.replacing("\"schema\":1", with: "\"schema\":01"),  // leading zero
            line.replacing("\"schema\":1", with: "\"schema\":1.0"),  // fraction
            line.replacing("\"sequence\":7", with: "\"sequence\":-7"),  // sign
            line.replacing("\"schema\":1", with: "\"schema\":1234567890123456789012"),  // past Int
            line.replacing("1.2.3", with: "1.2\\u002e3"),  // an escape
            line.replacing("1.2.3", with: "1.2.\u{e9}"),  // not ASCII
            line.replacing("\"kind\":\"report\"", with: "\"kind\":\"other\""),  // unknown kind
            line.replacing("\"format\":1", with: "\"format\":2"),  // another format
            line + " ",  // trailing bytes
            line.replacing("}", with: ",\"extra\":1}"),  // an extra key
        ] {
            #expect(CanonicalMetadataLine.read(Array(variant.utf8)) == nil, "\(variant)")
            #expect(Self.outcome(Array(variant.utf8), canonicalReader: true) == Self.outcome(Array(variant.utf8), canonicalReader: false))
        }
    }

    static let productVersions = Gen<String?>.element(of: ["1.2.3", "2.0.0-rc.1", "", "1.2\"3", "1\\2", "1/2", "\u{e9}", "1 2", "a\u{7f}b"]).map { $0! }
    static let paths = Gen<String?>.element(of: ["/api/telemetry", "/v1/x", "/a\\b", "/\u{e9}", "api", "/a?b", "/a\"b"]).map { $0! }
    static let installations = Gen<String?>.element(of: [
        "b58572c3-faca-420c-8df7-178ea2d410b2", "B58572C3-FACA-420C-8DF7-178EA2D410B2", "not-a-uuid", "",
    ]).map { $0! }
    static let sequences = Gen<UInt64?>.element(of: [0, 1, 2, 9, 10, 99, 9_999_999_999, 10_000_000_000, UInt64(Int.max), UInt64.max]).map { $0! }
    /// Bytes that change how JSON reads: quotes, escapes, digits, signs, structure, space, DEL, UTF-8.
    static let bytes = Gen<UInt8?>.element(of: Array("\"\\0 19-+.eE{}[],:nt\t\r\n".utf8) + [0x00, 0x1f, 0x7f, 0xc3, 0xa9, 0xef, 0xbb, 0xbf]).map { $0! }

    /// Lines from metadata with odd values, then up to three bytes replaced, put in or taken out
    /// anywhere: both readings agree on every one.
    @Test("both readings agree on odd values and damaged lines")
    func readingsAgree() async throws {
        await propertyCheck(
            count: 4000, input: Self.productVersions, Self.paths, Self.installations, Self.sequences,
            Gen.int(in: 0...600).array(of: 0...3), Self.bytes.array(of: 3...3), Gen.int(in: 0...2).array(of: 3...3)
        ) { productVersion, path, installation, sequence, positions, bytes, operations in
            var line = try Self.metadata(installation: installation, sequence: sequence, productVersion: productVersion, path: path).encodedLine()
            for (step, position) in positions.enumerated() where !line.isEmpty {
                let at = position % line.count
                switch operations[step] {
                case 0: line[at] = bytes[step]
                case 1: line.insert(bytes[step], at: at)
                default: line.remove(at: at)
                }
            }
            let fast = Self.outcome(line, canonicalReader: true)
            let full = Self.outcome(line, canonicalReader: false)
            #expect(fast == full, "\(String(decoding: line, as: UTF8.self))")
        }
    }
}
