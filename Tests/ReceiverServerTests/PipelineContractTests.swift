import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ReceiverServer
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

/// Several entry requests in one (docs/PROTOCOL.md section 7): each answered as if it had come alone.
extension ReceiverContractTests {
    func postPipeline(_ client: some TestClientProtocol, _ body: [UInt8], contentType: String = EntryPipeline.contentType) async throws -> (
        HTTPResponse.Status, String
    ) {
        let response = try await client.execute(
            uri: "/api/telemetry", method: .post, headers: [.contentType: contentType], body: ByteBuffer(bytes: body))
        return (response.status, String(buffer: response.body))
    }

    func pipeline(_ requests: [EntryRequest]) -> [UInt8] { EntryPipeline.encode(requests, host: "127.0.0.1") }

    /// New, repeated, forged, mislabelled and conflicting entries in one pipeline: each result is
    /// the status and body the entry would have been answered alone, in order, and only the good
    /// entries are stored, once.
    @Test(.timeLimit(.minutes(2)), arguments: StoreEngine.allCases)
    func answersEachEntryOfAPipelineAsIfAlone(engine: StoreEngine) async throws {
        let one = try entry(sequence: 1)
        let two = try entry(sequence: 2, previous: one.digest)
        let rival = try entry(sequence: 2, body: #"{"users":9}"#, previous: one.digest)
        var forged = EntryRequest(entry: two)
        forged.body = Array(#"{"users":2}"#.utf8)
        var unkeyed = EntryRequest(entry: two)
        unkeyed.headers.removeAll { $0.name == EntryHeaders.idempotencyKey }
        var elsewhere = EntryRequest(entry: two)
        elsewhere.path = "/elsewhere"
        let requests = [EntryRequest(entry: one), EntryRequest(entry: one), forged, unkeyed, elsewhere, EntryRequest(entry: two), EntryRequest(entry: rival)]
        try await app(engine).test(.router) { client in
            let (status, body) = try await postPipeline(client, pipeline(requests))
            #expect(status == .ok, "\(body)")
            let answer = try JSONDecoder().decode(EntryPipelineAnswer.self, from: Data(body.utf8))
            #expect(answer.results.map(\.status) == [201, 200, 403, 400, 400, 201, 409], "\(body)")
            let keys: [SpoolEntry?] = [one, one, two, nil, two, two, rival]
            #expect(answer.results.map(\.key) == keys.map { $0?.digest.description })
            #expect(
                answer.results.map { $0.answer.error?.code } == [
                    nil, nil, "signature_invalid", "idempotency_key_missing", "request_mismatch", nil, "sequence_conflict",
                ])
            // The first result, byte for byte: the answer alone, inside the result.
            #expect(body.hasPrefix(#"{"results":[{"answer":{"digest":"\#(one.digest)","status":"stored"},"key":"\#(one.digest)","status":201},"#), "\(body)")
            #expect(body.hasSuffix("]}\n"))
            let summary = try await client.execute(uri: "/summary", method: .get) { response in
                try JSONDecoder().decode(ReceiverSummary.self, from: Data(response.body.readableBytesView))
            }
            #expect(summary.reports == 2)
            // Entry requests are counted one by one, as if each had come alone.
            #expect(summary.requests.byStatus == ["201": 2, "200": 1, "403": 1, "400": 2, "409": 1])
            // The pipeline itself is one request of route "pipeline" in /metrics.
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"receiver_requests_total{route="pipeline",status="200"} 1"#), "\(metrics)")
            #expect(!metrics.contains(#"route="entry""#), "\(metrics)")
        }
    }

    /// A body that is not a pipeline of complete requests, an empty one, one of too many requests or
    /// one asking to switch protocols is refused whole (400 `pipeline_malformed`), one over the body
    /// limit 413; nothing of any of them is stored.
    @Test(.timeLimit(.minutes(2)))
    func refusesAMalformedPipelineWhole() async throws {
        let one = try entry(sequence: 1)
        let good = pipeline([EntryRequest(entry: one)])
        var upgrade = EntryRequest(entry: one)
        upgrade.headers.append(.init(name: "Upgrade", value: "h2c"))
        upgrade.headers.append(.init(name: "Connection", value: "Upgrade"))
        let tiny = Array("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n".utf8)
        let cases: [(String, [UInt8], String)] = [
            ("not HTTP", Array("hello\r\n\r\n".utf8), "not a sequence of complete HTTP/1.1 requests"),
            ("empty", [], "holds no entry request"),
            ("cut short", Array(good.dropLast(3)), "pipeline"),
            ("head cut short", good + Array("POST /api/telemetry HTTP/1.1\r\nContent-Le".utf8), "pipeline"),
            ("bare LF line ends", Array(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n").utf8), "not a sequence"),
            ("NUL in a header", Array("POST / HTTP/1.1\r\nX: a\u{0}b\r\nContent-Length: 0\r\n\r\n".utf8), "not a sequence"),
            ("too many", Array((0...EntryPipeline.maxEntries).map { _ in tiny }.joined()), "more than 1024"),
            ("upgrade first", pipeline([upgrade, EntryRequest(entry: one)]), "switch protocols"),
            ("CONNECT", Array("CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n".utf8) + good, "switch protocols"),
        ]
        try await app().test(.router) { client in
            for (name, body, message) in cases {
                let (status, answer) = try await postPipeline(client, body)
                #expect(status == .badRequest, "\(name): \(answer)")
                #expect(answer.contains(#""code":"pipeline_malformed""#) && answer.contains(message), "\(name): \(answer)")
            }
            let summary = try await client.execute(uri: "/summary", method: .get) { response in
                try JSONDecoder().decode(ReceiverSummary.self, from: Data(response.body.readableBytesView))
            }
            #expect(summary.reports == 0)
        }
        try await app { $0.maxBodyBytes = good.count - 1 }.test(.router) { client in
            let (status, answer) = try await postPipeline(client, good)
            #expect(status == .contentTooLarge, "\(answer)")
        }
    }

    /// The media type is matched as HTTP matches media types (case-insensitive, parameters
    /// aside); a PUT or another type is an entry request, refused by the entry's checks.
    @Test(.timeLimit(.minutes(1)))
    func recognisesAPipelineByItsMediaType() async throws {
        let one = try entry(sequence: 1)
        let body = pipeline([EntryRequest(entry: one)])
        try await app().test(.router) { client in
            let (status, answer) = try await postPipeline(client, body, contentType: "Application/HTTP; msgtype=request")
            #expect(status == .ok && answer.contains(#""status":201"#), "\(answer)")
            let (plain, refusal) = try await postPipeline(client, body, contentType: "text/plain")
            #expect(plain == .badRequest && refusal.contains("metadata_header_missing"), "\(refusal)")
        }
    }
}
