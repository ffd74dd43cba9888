import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PropertyBased
import ReceiverServer
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

@Suite("Request-path rule")
struct RequestPathTests {
    @Test(
        "accepted paths",
        arguments: [
            "/api/telemetry", "/a", "/A-Z_a.z~0-9", "/v1/acme.product/reports", "/...", "/a..b", "/.well", "/summaryx", "/x/summary",
            "/" + String(repeating: "a", count: RequestPath.maxBytes - 1),
        ])
    func accepted(path: String) {
        #expect(RequestPath.problem(path) == nil)
    }

    @Test(
        "refused paths, each with the reason",
        arguments: [
            ("", "does not start with '/'"),
            ("api/telemetry", "does not start with '/'"),
            ("/", "empty segment"),
            ("//api", "empty segment"),
            ("/api/", "empty segment"),
            ("/api//telemetry", "empty segment"),
            ("/api/./telemetry", "'.' or '..' segment"),
            ("/api/..", "'.' or '..' segment"),
            ("/api?x=1", "query"),
            ("/api#top", "fragment"),
            ("/api%2Ftelemetry", "percent-escape"),
            ("/api\\telemetry", "'\\'"),
            ("/api telemetry", "' '"),
            ("/api\u{01}", "control character"),
            ("/api\u{7f}", "control character"),
            ("/api/caf\u{e9}", "outside ASCII"),
            ("/api/alice@corp.example", "'@'"),
            ("/summary", "receiver's own /summary"),
            ("/Summary", "receiver's own /summary"),
            ("/summary/x", "receiver's own /summary"),
            ("/" + String(repeating: "a", count: RequestPath.maxBytes), "more than \(RequestPath.maxBytes)"),
        ])
    func refused(path: String, reason: String) {
        let problem = RequestPath.problem(path)
        #expect(problem?.contains(reason) == true, "\(path.debugDescription): \(problem ?? "accepted")")
    }

    @Test("an entry recording a path that breaks the rule is refused as request_path_invalid")
    func entryWithBadPath() throws {
        let signer = Signer()
        let entry = try signer.entry(path: "/api/telemetry?x=1")
        let trust = try signer.trust
        #expect(throws: EntryProblem.requestPathInvalid("/api/telemetry?x=1")) {
            _ = try SpoolEntry.verify(metadataLine: entry.metadataLine, body: entry.body, signature: entry.signature, trust: trust)
        }
        let refusal: EntryRefusal? = {
            do throws(EntryRefusal) {
                _ = try EntryRequestReader(trust: trust).read(EntryRequest(entry: entry))
                return nil
            } catch { return error }
        }()
        #expect(refusal?.code == .entry(.requestPathInvalid))
        #expect(refusal?.status == 400)
    }

    /// Paths of segments, mostly following the rule ('.', '..' and 'summary' break it), and, for
    /// half of them, one piece that breaks it put in at a random place.
    static let segments = Gen<String?>.element(of: [
        "api", "telemetry", "v1", "A-Z", "9", "_x", "~u", "a.b", "...", ".", "..", "summary", "",
    ]).array(of: 1...4).map { "/" + $0.compactMap { $0 }.joined(separator: "/") }
    static let breaking = Gen<String?>.element(of: [
        "?x=1", "#f", "%2F", "%41", "\\", "\u{01}", "\u{7f}", "\u{e9}", "@", "=", ";", "+", "//", "/", " x",
    ]).map { $0! }

    static func path(_ base: String, _ piece: String, at position: Int, inject: Bool) -> String {
        guard inject else { return base }
        var path = Array(base)
        path.insert(contentsOf: piece, at: min(position, path.count))
        return String(path)
    }

    /// `collect` (the built spooler) signs exactly the paths the rule accepts; what it signs,
    /// `verify` passes and the receiver stores; what the rule refuses, collect refuses by name.
    @Test("everything collect signs, verify and the receiver accept; collect refuses what the rule refuses", .timeLimit(.minutes(3)))
    func collectVerifyReceive() async throws {
        let work = try TemporaryDirectory("request-path")
        let spool = work.file("Spool")
        let state = work.file("state")
        let configuration = ReceiverConfiguration(port: 0, databasePath: work.file("receiver.sqlite"))
        let app = try await buildApplication(configuration, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            var signed = 0
            await propertyCheck(count: 40, input: Self.segments, Self.breaking, Gen.int(in: 0...30), Gen.bool()) { base, piece, position, inject in
                let path = Self.path(base, piece, at: position, inject: inject)
                try "product_version = 1.0\nrequest_path = \(path)\n".write(toFile: work.file("spooler.conf"), atomically: true, encoding: .utf8)
                let before = Set(
                    try FileManager.default.contentsOfDirectory(atPath: work.path).contains("Spool")
                        ? FileManager.default.contentsOfDirectory(atPath: spool) : [])
                let collect = try Command.run(Command.product("spooler"), ["collect", "--spool", spool, "--state", state], in: work.path)
                let after = Set(
                    try FileManager.default.contentsOfDirectory(atPath: work.path).contains("Spool")
                        ? FileManager.default.contentsOfDirectory(atPath: spool) : [])
                let added = after.subtracting(before).filter { $0.hasSuffix(EntryName.entrySuffix) }
                if RequestPath.isValid(path) {
                    #expect(collect.status == 0, "\(path.debugDescription): \(collect.stderr)")
                    #expect(added.count == 1)
                    guard let file = added.first else { return }
                    let entry = try SpoolEntry.open(
                        compressed: Array(try Data(contentsOf: URL(fileURLWithPath: spool + "/" + file))),
                        signatureText: Array(try Data(contentsOf: URL(fileURLWithPath: spool + "/" + file + ".sig"))),
                        trust: PermissiveTrust())
                    #expect(entry.metadata.request.path == path)
                    let request = EntryRequest(entry: entry)
                    var fields = HTTPFields()
                    for header in request.headers { fields.append(HTTPField(name: HTTPField.Name(header.name)!, value: header.value)) }
                    let response = try await client.execute(uri: request.path, method: .post, headers: fields, body: ByteBuffer(bytes: request.body))
                    #expect(response.status == .created, "\(path.debugDescription): \(String(buffer: response.body))")
                    signed += 1
                } else {
                    #expect(collect.status != 0, "\(path.debugDescription) was signed")
                    #expect(added.isEmpty)
                    #expect(collect.stderr.contains("request_path"), "\(collect.stderr)")
                }
            }
            let verify = try Command.run(Command.product("spooler"), ["verify", "--spool", spool, "--state", state], in: work.path)
            #expect(signed > 0)
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        }
    }
}

/// Accepts every well-formed signature: the property checks paths, not keys.
struct PermissiveTrust: SignerTrust {
    func allows(_ key: SSHPublicKey, principal: String, namespace: String) -> Bool { true }
    func knows(_ key: SSHPublicKey, namespace: String) -> Bool { true }
}
