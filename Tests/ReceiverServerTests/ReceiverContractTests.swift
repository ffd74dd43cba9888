import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ReceiverServer
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

/// The stores a receiver can run on; the contract tests run on each.
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    /// A database of its own on the test process's throwaway PostgreSQL server.
    case postgres

    var testDescription: String { rawValue }
}

/// The wire contract of docs/PROTOCOL.md, answer by answer, on the in-process receiver.
@Suite("Receiver contract")
struct ReceiverContractTests {
    let temp: TemporaryDirectory
    let key = Curve25519.Signing.PrivateKey()
    let installation = UUID().uuidString.lowercased()

    init() throws { temp = try TemporaryDirectory() }

    func entry(
        sequence: UInt64 = 1, body: String = #"{"users":1}"#, key: Curve25519.Signing.PrivateKey? = nil, installation: String? = nil,
        previous: EntryDigest = .genesis
    ) throws -> SpoolEntry {
        let signer = key ?? self.key
        let bytes = Array(body.utf8)
        let metadata = EntryMetadata(
            kind: .report, installation: installation ?? self.installation, sequence: sequence, created: Date(),
            productVersion: "1.0.\(sequence)", schema: 1, previous: sequence == 1 ? .genesis : previous,
            key: SSHPublicKey(signer.publicKey).fingerprint, request: ReplayRequest(), body: bytes)
        return try SpoolEntry.make(metadata: metadata, body: bytes, signingKey: signer)
    }

    func tombstone(_ sequence: UInt64, _ dropped: SequenceRange, previous: EntryDigest) throws -> SpoolEntry {
        let body = try TombstoneBody(installation: installation, dropped: dropped, entries: 1, bytes: 1, reason: .maxBytes, limit: 1).encoded()
        let metadata = EntryMetadata(
            kind: .tombstone, installation: installation, sequence: sequence, created: Date(), productVersion: "1.0",
            schema: 1, previous: previous, key: SSHPublicKey(key.publicKey).fingerprint, request: ReplayRequest(), body: body)
        return try SpoolEntry.make(metadata: metadata, body: body, signingKey: key)
    }

    func headers(_ entry: SpoolEntry, idempotencyKey: String? = nil) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[HTTPField.Name(EntryHeaders.metadata)!] = StrictBase64.encode(entry.metadataLine)
        fields[HTTPField.Name(EntryHeaders.signature)!] = StrictBase64.encode(entry.signature.blob)
        fields[HTTPField.Name(EntryHeaders.idempotencyKey)!] = idempotencyKey ?? entry.digest.description
        return fields
    }

    func app(_ engine: StoreEngine = .sqlite, _ configure: (inout ReceiverConfiguration) -> Void = { _ in }) async throws -> some ApplicationProtocol {
        var configuration = ReceiverConfiguration(port: 0, databasePath: temp.file("receiver-\(UUID().uuidString.prefix(6)).sqlite"))
        if engine == .postgres { configuration.postgres = try PostgresLocation(url: try await PostgresServer.shared().createDatabase()) }
        configure(&configuration)
        return try await buildApplication(configuration, logger: Logger(label: "test"))
    }

    func post(_ client: some TestClientProtocol, _ entry: SpoolEntry, body: String? = nil, headers: HTTPFields? = nil, path: String = "/api/telemetry")
        async throws -> (HTTPResponse.Status, String)
    {
        let bytes = body.map { Array($0.utf8) } ?? entry.body
        let response = try await client.execute(uri: path, method: .post, headers: headers ?? self.headers(entry), body: ByteBuffer(bytes: bytes))
        return (response.status, String(buffer: response.body))
    }

    @Test(.timeLimit(.minutes(2)), arguments: StoreEngine.allCases)
    func storesOnceAndAnswersARepeatAsSuccess(engine: StoreEngine) async throws {
        let first = try entry()
        try await app(engine).test(.router) { client in
            // The answers are JSON with sorted keys, as docs/PROTOCOL.md shows them.
            #expect(try await post(client, first) == (.created, "{\"digest\":\"\(first.digest)\",\"status\":\"stored\"}\n"))
            #expect(try await post(client, first) == (.ok, "{\"digest\":\"\(first.digest)\",\"status\":\"duplicate\"}\n"))
            let summary = try await client.execute(uri: "/summary", method: .get) { response in
                try JSONDecoder().decode(ReceiverSummary.self, from: Data(response.body.readableBytesView))
            }
            #expect(summary.installations == 1)
            #expect(summary.reports == 1)
            #expect(summary.byInstallation.first?.latestVersion == "1.0.1")
            #expect(summary.requests.byStatus == ["201": 1, "200": 1])
        }
    }

    @Test("lost: the absent sequences tombstones declare, merged, never a stored one", .timeLimit(.minutes(2)), arguments: StoreEngine.allCases)
    func lostRangesAreMergedAndExcludeStoredEntries(engine: StoreEngine) async throws {
        let one = try entry(sequence: 1)
        let two = try entry(sequence: 2, previous: one.digest)
        // Stored: 1, 2, 5, 8. Declared: 1...4 (by 5) and 3...7 (by 8).
        let items = [
            one, two, try tombstone(5, SequenceRange(first: 1, last: 4), previous: two.digest),
            try tombstone(8, SequenceRange(first: 3, last: 7), previous: two.digest),
        ]
        try await app(engine).test(.router) { client in
            for item in items { #expect(try await post(client, item).0 == .created) }
            let summary = try await client.execute(uri: "/summary", method: .get) { response in
                try JSONDecoder().decode(ReceiverSummary.self, from: Data(response.body.readableBytesView))
            }
            #expect(summary.byInstallation.first?.lost == [.init(first: 3, last: 4), .init(first: 6, last: 7)])
            #expect(summary.byInstallation.first?.missing == [])
        }
    }

    @Test(.timeLimit(.minutes(2)), arguments: StoreEngine.allCases)
    func reportsMissingSequenceRanges(engine: StoreEngine) async throws {
        let one = try entry(sequence: 1)
        let four = try entry(sequence: 4, previous: one.digest)
        let seven = try entry(sequence: 7, previous: four.digest)
        try await app(engine).test(.router) { client in
            for item in [one, four, seven] { #expect(try await post(client, item).0 == .created) }
            let summary = try await client.execute(uri: "/summary", method: .get) { response in
                try JSONDecoder().decode(ReceiverSummary.self, from: Data(response.body.readableBytesView))
            }
            #expect(summary.byInstallation.first?.missing == [.init(first: 2, last: 3), .init(first: 5, last: 6)])
            #expect(summary.byInstallation.first?.latestVersion == "1.0.7")
        }
    }

    /// Malformed requests: 400 with a stable code.
    @Test(.timeLimit(.minutes(2)), arguments: StoreEngine.allCases)
    func answers400ForMalformedRequests(engine: StoreEngine) async throws {
        let item = try entry()
        var noMetadata = headers(item)
        noMetadata[HTTPField.Name(EntryHeaders.metadata)!] = nil
        var badBase64 = headers(item)
        badBase64[HTTPField.Name(EntryHeaders.signature)!] = "not base64!"
        var wrongType = headers(item)
        wrongType[.contentType] = "text/plain"
        let cases: [(HTTPFields, String, String)] = [
            (noMetadata, "/api/telemetry", "metadata_header_missing"),
            (badBase64, "/api/telemetry", "signature_header_invalid"),
            (headers(item, idempotencyKey: "sha256:" + String(repeating: "0", count: 64)), "/api/telemetry", "idempotency_key_mismatch"),
            (headers(item, idempotencyKey: "abc"), "/api/telemetry", "idempotency_key_invalid"),
            (wrongType, "/api/telemetry", "content_type_mismatch"),
            (headers(item), "/elsewhere", "request_mismatch"),
            // The request target is compared whole: a query the entry does not record is refused.
            (headers(item), "/api/telemetry?x=1", "request_mismatch"),
        ]
        try await app(engine).test(.router) { client in
            for (fields, path, code) in cases {
                let (status, body) = try await post(client, item, headers: fields, path: path)
                #expect(status == .badRequest, "\(code): \(body)")
                #expect(body.contains(#""code":"\#(code)""#), "\(body)")
            }
        }
    }

    /// A changed body, a foreign key under TOFU, a key outside allowed_signers: 403.
    @Test(.timeLimit(.minutes(2)), arguments: StoreEngine.allCases)
    func answers403ForBadOrForeignSignatures(engine: StoreEngine) async throws {
        let item = try entry()
        let impostor = try entry(sequence: 2, key: Curve25519.Signing.PrivateKey(), previous: item.digest)
        try await app(engine).test(.router) { client in
            let (status, body) = try await post(client, item, body: #"{"users":2}"#)
            #expect(status == .forbidden && body.contains("signature_invalid"), "\(body)")
            #expect(try await post(client, item).0 == .created)
            let (foreign, message) = try await post(client, impostor)
            #expect(foreign == .forbidden && message.contains("key_not_pinned"), "\(message)")
        }
        let other = Curve25519.Signing.PrivateKey()
        let signers = try AllowedSigners(
            text: AllowedSigners.line(principal: installation, namespace: SpoolEntry.namespace, key: SSHPublicKey(other.publicKey)))
        try await app(engine) { $0.allowedSigners = signers }.test(.router) { client in
            let (status, body) = try await post(client, item)
            #expect(status == .forbidden && body.contains("key_untrusted"), "\(body)")
            #expect(try await post(client, try entry(key: other)).0 == .created)
        }
    }

    @Test(.timeLimit(.minutes(2)), arguments: StoreEngine.allCases)
    func answers413OverTheBodyLimitAnd409ForAnotherDigestAtTheSameSequence(engine: StoreEngine) async throws {
        let big = try entry(body: #"{"notes":"\#(String(repeating: "x", count: 300))"}"#)
        let small = try entry(body: #"{"users":1}"#)
        let rival = try entry(body: #"{"users":3}"#)
        try await app(engine) { $0.maxBodyBytes = 200 }.test(.router) { client in
            #expect(try await post(client, big).0 == .contentTooLarge)
            #expect(try await post(client, small).0 == .created)
            let (status, body) = try await post(client, rival)
            #expect(status == .conflict && body.contains("sequence_conflict"), "\(body)")
        }
    }

    /// The same requests to a receiver on SQLite and one on PostgreSQL: the same answers and the
    /// same `/summary`, byte for byte.
    @Test(.timeLimit(.minutes(2)))
    func sqliteAndPostgresAnswerAlike() async throws {
        let otherKey = Curve25519.Signing.PrivateKey()
        let other = UUID().uuidString.lowercased()
        let one = try entry(sequence: 1)
        let two = try entry(sequence: 2, previous: one.digest)
        let five = try entry(sequence: 5, previous: two.digest)
        let lost = try tombstone(9, SequenceRange(first: 6, last: 7), previous: five.digest)
        let rival = try entry(sequence: 2, body: #"{"users":9}"#, previous: one.digest)
        let impostor = try entry(sequence: 10, key: Curve25519.Signing.PrivateKey(), previous: lost.digest)
        let otherOne = try entry(sequence: 1, key: otherKey, installation: other)
        let otherFour = try entry(sequence: 4, key: otherKey, installation: other, previous: otherOne.digest)
        let requests = [five, one, two, one, lost, rival, impostor, otherFour, otherOne, otherFour]
        var answers: [StoreEngine: (statuses: [HTTPResponse.Status], summary: String)] = [:]
        for engine in StoreEngine.allCases {
            answers[engine] = try await app(engine).test(.router) { client in
                var statuses: [HTTPResponse.Status] = []
                for request in requests { statuses.append(try await post(client, request).0) }
                let summary = try await client.execute(uri: "/summary", method: .get) { String(buffer: $0.body) }
                return (statuses, summary)
            }
        }
        let sqlite = try #require(answers[.sqlite])
        let postgres = try #require(answers[.postgres])
        #expect(sqlite.statuses == [.created, .created, .created, .ok, .created, .conflict, .forbidden, .created, .created, .ok])
        #expect(postgres.statuses == sqlite.statuses)
        #expect(postgres.summary == sqlite.summary)
        let summary = try JSONDecoder().decode(ReceiverSummary.self, from: Data(sqlite.summary.utf8))
        #expect(summary.installations == 2 && summary.reports == 5)
        #expect(summary.byInstallation.first { $0.installation == installation }?.missing == [.init(first: 3, last: 4), .init(first: 8, last: 8)])
        #expect(summary.byInstallation.first { $0.installation == installation }?.lost == [.init(first: 6, last: 7)])
    }

    @Test(.timeLimit(.minutes(1)))
    func injectsFailuresWithRetryAfter() async throws {
        let item = try entry()
        try await app { $0.faults = FaultInjection(failRate: 1, failStatus: 429, failCount: 1, retryAfter: .seconds(7)) }.test(.router) { client in
            let response = try await client.execute(uri: "/api/telemetry", method: .post, headers: headers(item), body: ByteBuffer(bytes: item.body))
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "7")
            #expect(try await post(client, item).0 == .created)
        }
    }
}
