import Foundation
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TestSupport
import Testing

/// The committed batch vector pins the batch format: stock tools and our verifier accept it,
/// and the manifest parser reproduces it byte for byte.
@Suite("Batch manifest")
struct BatchManifestTests {
    static let vector = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/batch").path

    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: vector + "/" + file)))
    }

    @Test("the vector batch passes sha256sum -c and ssh-keygen -Y verify", .timeLimit(.minutes(1)))
    func vectorWithStockTools() throws {
        let manifest = try BatchManifest.decode(try Self.bytes("MANIFEST"))
        let sums = try Command.run("sha256sum", ["-c", "MANIFEST"], in: Self.vector)
        #expect(sums.status == 0, "\(sums.stdout)\(sums.stderr)")
        #expect(sums.stderr.isEmpty)
        let verify = try Command.run(
            "ssh-keygen", ["-Y", "verify", "-f", "allowed_signers", "-I", manifest.installation, "-n", BatchManifest.namespace, "-s", "MANIFEST.sig"],
            in: Self.vector, input: Data(try Self.bytes("MANIFEST")))
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test("the vector batch verifies against its own allowed_signers and the manifest round-trips byte for byte")
    func vectorVerifies() throws {
        let bytes = try Self.bytes("MANIFEST")
        let manifest = try BatchManifest.decode(bytes)
        #expect(manifest.encoded() == bytes)
        #expect((manifest.first, manifest.last) == (2, 3))
        #expect(manifest.previous != .genesis)
        let report = try BatchVerifier(trust: try AllowedSigners(contentsOf: Self.vector + "/allowed_signers")).verify(batch: Self.vector)
        #expect(report.problems == [])
        #expect(report.validEntries == 2)
        #expect(report.head == manifest.head)
    }

    @Test(
        "a manifest not exactly in the written form is refused with its reason",
        arguments: [
            ("# telemetry-spool-manifest 2\n", "manifest_unsupported"),
            ("\r\n", "manifest_malformed"),
            ("  allowed_signers\n", "manifest_malformed"),
            ("DROP", "manifest_malformed"),
            ("LEADING0", "manifest_malformed"),
        ])
    func strictParse(_ change: String, _ code: String) throws {
        let text = String(decoding: try Self.bytes("MANIFEST"), as: UTF8.self)
        var lines = text.split(separator: "\n").map(String.init)
        switch change {
        case "DROP": lines.remove(at: 8)  // an entry file line
        case "LEADING0": lines[2] = "# first: 02"
        case "\r\n": lines[3] += "\r"
        case "  allowed_signers\n": lines[7] = "0000" + lines[7].dropFirst(4).uppercased()
        default: lines[0] = String(change.dropLast())
        }
        let edited = Array((lines.joined(separator: "\n") + "\n").utf8)
        #expect(throws: BatchManifestError.self) { try BatchManifest.decode(edited) }
        do {
            _ = try BatchManifest.decode(edited)
        } catch {
            #expect(error.code.rawValue == code)
        }
        // A truncated manifest (no final newline) is refused too.
        #expect(throws: BatchManifestError.self) { try BatchManifest.decode(Array(text.utf8.dropLast())) }
    }

    /// Writes a fresh vector batch with a throwaway key: `TELEMETRYSPOOL_WRITE_BATCH_VECTOR=DIR swift test --filter writeVector`.
    @Test("write the vector batch", .enabled(if: ProcessInfo.processInfo.environment["TELEMETRYSPOOL_WRITE_BATCH_VECTOR"] != nil))
    func writeVector() throws {
        let out = try #require(ProcessInfo.processInfo.environment["TELEMETRYSPOOL_WRITE_BATCH_VECTOR"])
        let fixture = try SpoolFixture()
        try fixture.append(3)
        let media = try TemporaryDirectory("batch-vector")
        let outcome = try SpoolExporter(spool: fixture.spool, state: fixture.state, identity: fixture.identity).export(to: media.path, selection: .from(2))
        let batch = try #require(outcome.batch)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: batch) {
            try FileManager.default.copyItem(atPath: batch + "/" + name, toPath: out + "/" + name)
        }
    }
}
