import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import ReceiverServer
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TestSupport
import Testing

/// Runs every conformance vector (`Tests/Conformance/`, docs/CONFORMANCE.md) against the real
/// `spooler verify`, `uploader verify` and the receiver, in process and over HTTP.
@Suite("Conformance vectors")
struct ConformanceTests {
    static let folder = repositoryRoot + "/Tests/Conformance"

    struct SpoolExpectation: Decodable, Equatable {
        struct Problem: Decodable, Equatable {
            var code: String
            var file: String
        }
        struct Loss: Decodable, Equatable {
            var installation: String
            var tombstone: UInt64
            var first: UInt64
            var last: UInt64
        }
        var exit: Int32
        var problems: [Problem]
        var declaredLosses: [Loss]
    }

    struct RequestExpectation: Decodable, Equatable {
        var status: Int
        var code: String?
    }

    static func spoolCases() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder + "/spools").sorted()
    }

    static func requestCases() throws -> [(name: String, request: EntryRequest, expected: RequestExpectation)] {
        try FileManager.default.contentsOfDirectory(atPath: folder + "/requests").sorted().compactMap { name in
            let directory = folder + "/requests/" + name
            guard FileSystem.isDirectory(directory) else { return nil }
            let head = try String(contentsOfFile: directory + "/request", encoding: .utf8)
            let body = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/body")))
            let expected = try JSONDecoder().decode(RequestExpectation.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/expected.json")))
            return (name, ConformanceVectors.parseRequest(head: head, body: body), expected)
        }
    }

    /// The committed vectors are exactly what the generator writes (`CONFORMANCE_WRITE=1` rewrites them).
    @Test("the committed vectors are the generator's output, byte for byte")
    func committedVectorsMatchTheGenerator() throws {
        let generated = ConformanceVectors.files
        if ProcessInfo.processInfo.environment["CONFORMANCE_WRITE"] == "1" {
            try? FileManager.default.removeItem(atPath: Self.folder + "/spools")
            try? FileManager.default.removeItem(atPath: Self.folder + "/requests")
            for (path, bytes) in generated {
                let full = Self.folder + "/" + path
                try FileManager.default.createDirectory(at: URL(fileURLWithPath: full).deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(bytes).write(to: URL(fileURLWithPath: full))
            }
        }
        var committed: [String: [UInt8]] = [:]
        for sub in ["spools", "requests"] {
            let enumerator = FileManager.default.enumerator(atPath: Self.folder + "/" + sub)
            while let relative = enumerator?.nextObject() as? String {
                let full = Self.folder + "/" + sub + "/" + relative
                if !FileSystem.isDirectory(full) { committed[sub + "/" + relative] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: full))) }
            }
        }
        #expect(committed.keys.sorted() == generated.keys.sorted())
        for (path, bytes) in generated where committed[path] != bytes {
            Issue.record("\(path) differs from the generator's output")
        }
    }

    func verify(_ command: String, _ name: String, temp: TemporaryDirectory) throws -> (SpoolExpectation, String) {
        let directory = Self.folder + "/spools/" + name
        let arguments =
            command == "spooler"
            ? ["verify", "--spool", directory + "/spool", "--allowed-signers", directory + "/allowed_signers", "--json"]
            : ["verify", directory + "/spool", "--allowed-signers", directory + "/allowed_signers", "--ledger", temp.file("ledger.sqlite"), "--json"]
        let result = try Command.run(Command.product(command), arguments)
        struct Output: Decodable {
            var problems: [SpoolExpectation.Problem]
            var declaredLosses: [SpoolExpectation.Loss]?
        }
        let output = try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
        return (SpoolExpectation(exit: result.status, problems: output.problems, declaredLosses: output.declaredLosses ?? []), result.stdout + result.stderr)
    }

    func expected(_ name: String) throws -> SpoolExpectation {
        try JSONDecoder().decode(SpoolExpectation.self, from: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/spools/\(name)/expected.json")))
    }

    @Test("spooler verify --allowed-signers gives each spool's expected verdict", .timeLimit(.minutes(3)))
    func spoolerVerify() throws {
        let temp = try TemporaryDirectory()
        let cases = try Self.spoolCases()
        #expect(cases.count >= 30)
        for name in cases {
            let (actual, output) = try verify("spooler", name, temp: temp)
            #expect(actual == (try expected(name)), "\(name): \(output)")
        }
    }

    @Test("uploader verify --allowed-signers gives each spool's expected problems and exit status", .timeLimit(.minutes(3)))
    func uploaderVerify() throws {
        let temp = try TemporaryDirectory()
        for name in try Self.spoolCases() {
            var wanted = try expected(name)
            let (actual, output) = try verify("uploader", name, temp: temp)
            wanted.declaredLosses = []
            #expect(SpoolExpectation(exit: actual.exit, problems: actual.problems, declaredLosses: []) == wanted, "\(name): \(output)")
        }
    }

    @Test("the server half of the contract gives each request's expected refusal code", .timeLimit(.minutes(3)))
    func serverHalf() throws {
        let reader = EntryRequestReader(trust: try AllowedSigners(contentsOf: Self.folder + "/requests/allowed_signers"))
        for (name, request, expected) in try Self.requestCases() where expected.code != "body_too_large" {
            do {
                _ = try reader.read(request)
                #expect(expected.code == nil, "\(name) was accepted")
            } catch {
                #expect(error.code.description == expected.code, "\(name): \(error)")
                #expect(error.status == expected.status, "\(name): \(error)")
            }
        }
    }

    @Test("the receiver answers each request with the expected status and code", .timeLimit(.minutes(3)))
    func receiverInProcess() async throws {
        let temp = try TemporaryDirectory()
        let app = try await Self.receiver(in: temp)
        let cases = try Self.requestCases()
        try await app.test(.router) { client in
            for (name, request, expected) in cases {
                var fields = HTTPFields()
                for header in request.headers { fields.append(HTTPField(name: HTTPField.Name(header.name)!, value: header.value)) }
                let response = try await client.execute(
                    uri: request.path, method: HTTPRequest.Method(request.method)!, headers: fields,
                    body: ByteBuffer(bytes: request.body))
                #expect(Int(response.status.code) == expected.status, "\(name): \(String(buffer: response.body))")
                #expect(Self.code(Array(response.body.readableBytesView)) == expected.code, "\(name): \(String(buffer: response.body))")
            }
        }
    }

    /// Every request case in one pipeline (docs/PROTOCOL.md section 7): each result is what the
    /// case expects alone. `body_too_large` is left out: in a pipeline the limit is the whole body's.
    @Test("the receiver answers each request inside one pipeline with the expected status and code", .timeLimit(.minutes(3)))
    func receiverInOnePipeline() async throws {
        let temp = try TemporaryDirectory()
        let app = try await Self.receiver(in: temp)
        let cases = try Self.requestCases().filter { $0.expected.code != "body_too_large" }
        let body = EntryPipeline.encode(cases.map(\.request), host: "127.0.0.1")
        try await app.test(.router) { client in
            let response = try await client.execute(
                uri: "/api/telemetry", method: .post, headers: [.contentType: EntryPipeline.contentType], body: ByteBuffer(bytes: body))
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let answer = try JSONDecoder().decode(EntryPipelineAnswer.self, from: Data(response.body.readableBytesView))
            try #require(answer.results.count == cases.count)
            for ((name, _, expected), result) in zip(cases, answer.results) {
                #expect(result.status == expected.status, "\(name): \(result)")
                #expect(result.answer.error?.code == expected.code, "\(name): \(result)")
            }
        }
    }

    @Test("the real receiver over HTTP answers each request with the expected status and code", .timeLimit(.minutes(3)))
    func receiverOverHTTP() async throws {
        let temp = try TemporaryDirectory()
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--allowed-signers", Self.folder + "/requests/allowed_signers"])
        for (name, request, expected) in try Self.requestCases() {
            var http = HTTPClientRequest(url: request.url(endpoint: receiver.url))
            http.method = .init(rawValue: request.method)
            for header in request.headers { http.headers.add(name: header.name, value: header.value) }
            http.body = .bytes(request.body)
            let response = try await HTTPClient.shared.execute(http, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(Int(response.status.code) == expected.status, "\(name): \(String(buffer: body))")
            #expect(Self.code(Array(body.readableBytesView)) == expected.code, "\(name): \(String(buffer: body))")
        }
        await receiver.stop()
    }

    /// An in-process receiver trusting the request cases' keys, on a fresh database.
    static func receiver(in temp: TemporaryDirectory) async throws -> some ApplicationProtocol {
        var configuration = ReceiverConfiguration(port: 0, databasePath: temp.file("receiver.sqlite"))
        configuration.allowedSigners = try AllowedSigners(contentsOf: Self.folder + "/requests/allowed_signers")
        return try await buildApplication(configuration, logger: Logger(label: "conformance"))
    }

    /// The `error.code` of a refusal's JSON body; nil for a success.
    static func code(_ body: [UInt8]) -> String? {
        struct Refusal: Decodable {
            struct Inner: Decodable { var code: String }
            var error: Inner?
        }
        return (try? JSONDecoder().decode(Refusal.self, from: Data(body)))?.error?.code
    }
}
