import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ReceiverServer
import SpoolFormat
import SpoolStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The admin pages of the real `receiver` binary: who may look (the bearer token), the
/// Prometheus metrics and the NDJSON export, after real uploads.
@Suite("Receiver admin pages: token, metrics, export", .serialized)
struct ReceiverAdminTests {
    let temp: TemporaryDirectory
    let token = "s3cret-\(UUID().uuidString)"

    init() throws { temp = try TemporaryDirectory() }

    /// A token file only its owner may read.
    func tokenFile(_ contents: String, mode: mode_t = 0o600) throws -> String {
        let path = temp.file("token-\(UUID().uuidString.prefix(6))")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)))
        #expect(chmod(path, mode) == 0)
        return path
    }

    /// Runs `receiver serve` expecting it to refuse to start: its exit status and standard error.
    func refusedStart(_ arguments: [String]) async throws -> (status: Int32, stderr: String) {
        let child = try ChildProcess(
            Command.product("receiver"), ["serve", "--port", "0", "--db", temp.file("refused.sqlite")] + arguments, outputIn: temp.path)
        let deadline = Date().addingTimeInterval(30)
        while child.process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if child.process.isRunning {
            child.kill(SIGKILL)
            throw TestFailure("the receiver started: \(child.stdout)")
        }
        #expect(!child.stdout.contains("listening on"), "\(child.stdout)")
        return (child.process.terminationStatus, child.stderr)
    }

    func get(_ url: String, bearer: String? = nil, authorization: String? = nil) async throws -> (status: Int, headers: [String: String], body: String) {
        var request = HTTPClientRequest(url: url)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 26)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return (Int(response.status.code), headers, String(buffer: body))
    }

    func upload(_ spool: TestSpool, to receiver: ReceiverProcess) async throws {
        let result = try await runUploader(
            ["upload", spool.directory, "--endpoint", receiver.url, "--ledger", temp.file("ledger-\(UUID().uuidString.prefix(6)).sqlite")], in: temp)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("beyond loopback without --admin-token-file: refuses to start, saying why", .timeLimit(.minutes(1)))
    func refusesToListenBeyondLoopbackWithoutToken() async throws {
        for host in ["0.0.0.0", "::", "receiver.example"] {
            let (status, stderr) = try await refusedStart(["--host", host])
            #expect(status == 2, "\(stderr)")
            #expect(stderr.contains("refusing to listen on \(host) without an admin token"), "\(stderr)")
            #expect(stderr.contains("--admin-token-file"), "\(stderr)")
        }
    }

    @Test(
        "a token file that is shared, empty, unreadable or holds bad bytes: refuses to start, naming the file", .timeLimit(.minutes(1)),
        arguments: [
            ("token\n", 0o644 as mode_t, "readable by group or others (mode 644)"),
            ("token\n", 0o640 as mode_t, "readable by group or others (mode 640)"),
            ("\n", 0o600 as mode_t, "the admin token is empty"),
            ("", 0o600 as mode_t, "the admin token is empty"),
            ("two words\n", 0o600 as mode_t, "holds byte 0x20 at offset 3"),
            ("token\n\n", 0o600 as mode_t, "holds byte 0xa at offset 5"),
            ("t\u{f6}ken", 0o600 as mode_t, "holds byte 0xc3 at offset 1"),
        ])
    func refusesABadTokenFile(contents: String, mode: mode_t, problem: String) async throws {
        let path = try tokenFile(contents, mode: mode)
        let (status, stderr) = try await refusedStart(["--host", "0.0.0.0", "--admin-token-file", path])
        #expect(status == 1, "\(stderr)")
        #expect(stderr.contains("--admin-token-file: \(path): "), "\(stderr)")
        #expect(stderr.contains(problem), "\(stderr)")
    }

    @Test("a missing token file: refuses to start, naming it", .timeLimit(.minutes(1)))
    func refusesAMissingTokenFile() async throws {
        let path = temp.file("absent-token")
        let (status, stderr) = try await refusedStart(["--admin-token-file", path])
        #expect(status == 1, "\(stderr)")
        #expect(stderr.contains("\(path): cannot read the admin token file (No such file or directory)"), "\(stderr)")
    }

    /// Ingest stays open; every admin page answers 401 without the token or with a wrong one,
    /// and 200 with it.
    @Test(.timeLimit(.minutes(2)))
    func adminPagesNeedTheTokenAndIngestDoesNot() async throws {
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--admin-token-file", try tokenFile(token + "\n")])
        defer { receiver.child.kill(SIGKILL) }
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 3)
        try await upload(spool, to: receiver)
        for page in ["/", "/summary", "/metrics", "/reports.ndjson"] {
            let missing = try await get(receiver.url + page)
            #expect(missing.status == 401, "\(page): \(missing.body)")
            #expect(missing.headers["www-authenticate"] == #"Bearer realm="receiver""#, "\(page)")
            #expect(missing.body.contains("this page needs the admin token"), "\(page): \(missing.body)")
            let wrong = try await get(receiver.url + page, bearer: token + "x")
            #expect(wrong.status == 401, "\(page): \(wrong.body)")
            #expect(wrong.headers["www-authenticate"]?.contains(#"error="invalid_token""#) == true, "\(page)")
            #expect(wrong.body.contains("the admin token is wrong"), "\(page): \(wrong.body)")
            let basic = try await get(receiver.url + page, authorization: "Basic \(token)")
            #expect(basic.status == 401, "\(page): \(basic.body)")
            let right = try await get(receiver.url + page, bearer: token)
            #expect(right.status == 200, "\(page): \(right.body)")
        }
        let summary = try await get(receiver.url + "/summary", authorization: "bearer \(token)")
        #expect(summary.status == 200, "the scheme is case-insensitive")
        #expect(summary.body.contains(#""reports":3"#), "\(summary.body)")
    }

    /// A scrape after real uploads counts them: answers by status, the latency histogram, the
    /// stored reports.
    @Test(.timeLimit(.minutes(2)))
    func metricsCountRealUploads() async throws {
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--admin-token-file", try tokenFile(token)])
        defer { receiver.child.kill(SIGKILL) }
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, installations: 2, count: 4)
        try await upload(spool, to: receiver)
        // Replayed with a fresh ledger: every entry again, answered 200 (already stored).
        try await upload(spool, to: receiver)
        _ = try await get(receiver.url + "/summary")  // a refused admin request
        let scrape = try await get(receiver.url + "/metrics", bearer: token)
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let samples = Dictionary(
            scrape.body.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line -> (String, Double)? in
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
                return (String(line[..<space]), value)
            }, uniquingKeysWith: { $1 })
        #expect(samples[#"receiver_requests_total{route="entry",status="201"}"#] == 8, "\(scrape.body)")
        #expect(samples[#"receiver_requests_total{route="entry",status="200"}"#] == 8, "\(scrape.body)")
        #expect(samples[#"receiver_requests_total{route="admin",status="401"}"#] == 1, "\(scrape.body)")
        #expect(samples["receiver_ingest_duration_seconds_count"] == 16, "\(scrape.body)")
        #expect(samples[#"receiver_ingest_duration_seconds_bucket{le="+Inf"}"#] == 16, "\(scrape.body)")
        #expect((samples["receiver_ingest_duration_seconds_sum"] ?? 0) > 0, "\(scrape.body)")
        #expect(samples["receiver_stored_reports"] == 8, "\(scrape.body)")
        #expect(samples["receiver_stored_tombstones"] == 0, "\(scrape.body)")
        #expect(samples["receiver_installations"] == 2, "\(scrape.body)")
        #expect(samples[#"receiver_store_errors_total{operation="write"}"#] == 0, "\(scrape.body)")
        #expect(samples[#"receiver_store_errors_total{operation="read"}"#] == 0, "\(scrape.body)")
        #expect(samples["receiver_store_queue_depth"] == 0, "\(scrape.body)")
        #expect(scrape.body.contains("# TYPE receiver_ingest_duration_seconds histogram"), "\(scrape.body)")
    }

    /// The export streams every stored entry, metadata and body, across pages of the store's reads;
    /// `installation` and `since` select; a bad parameter is 400 naming it.
    @Test(.timeLimit(.minutes(3)))
    func exportStreamsStoredReportsAsNDJSON() async throws {
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--admin-token-file", try tokenFile(token)])
        defer { receiver.child.kill(SIGKILL) }
        // More than one page of the export (500 entries a read).
        let (directory, stateRoot) = (temp.file("spool"), temp.path)
        let spool = try await offCooperativePool { try TestSpool.make(in: directory, stateRoot: stateRoot, installations: 2, count: 260) }
        let before = Date().timeIntervalSince1970
        try await upload(spool, to: receiver)

        struct Line: Decodable {
            var id: Int64
            var digest: String
            var installation: String
            var sequence: Int64
            var kind: String
            var productVersion: String
            var created: String
            var receivedAt: Double
            var duplicates: Int
            var body: [String: Int]
        }
        func export(_ query: String) async throws -> [Line] {
            let response = try await get(receiver.url + "/reports.ndjson" + query, bearer: token)
            #expect(response.status == 200, "\(response.body)")
            #expect(response.headers["content-type"] == "application/x-ndjson")
            #expect(response.headers["content-length"] == nil, "streamed, not one buffer")
            #expect(response.body.isEmpty || response.body.hasSuffix("\n"))
            return try response.body.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        }

        let all = try await export("")
        #expect(all.count == 520)
        #expect(all.map(\.id) == all.map(\.id).sorted() && Set(all.map(\.id)).count == 520, "store order, each once")
        let byDigest = Dictionary(uniqueKeysWithValues: all.map { ($0.digest, $0) })
        for entry in spool.entries {
            let line = try #require(byDigest[entry.digest.description], "\(entry.name) not exported")
            #expect(line.installation == entry.metadata.installation && line.sequence == Int64(entry.metadata.sequence))
            #expect(line.kind == "report" && line.productVersion == entry.metadata.productVersion && line.created == entry.metadata.created)
            #expect(try JSONDecoder().decode([String: Int].self, from: Data(entry.body)) == line.body)
            #expect(line.receivedAt >= before - 1 && line.duplicates == 0)
        }

        let first = spool.identities[0].installation
        let one = try await export("?installation=\(first)")
        #expect(one.count == 260 && one.allSatisfy { $0.installation == first })
        #expect(try await export("?installation=\(first)&since=\(Int(before) - 5)").count == 260)
        #expect(try await export("?since=2000-01-01T00:00:00Z").count == 520)
        #expect(try await export("?since=2000-01-01T00:00:00.250%2B02:00").count == 520)
        #expect(try await export("?since=\(Int(Date().timeIntervalSince1970) + 3600)").isEmpty)
        #expect(try await export("?installation=none-such").isEmpty)

        for (query, parameter) in [
            ("?since=yesterday", "'since'"), ("?since=-5", "'since'"), ("?color=red", "'color'"), ("?since=1&since=2", "'since'"),
            ("?installation=", "'installation'"),
        ] {
            let response = try await get(receiver.url + "/reports.ndjson" + query, bearer: token)
            #expect(response.status == 400, "\(query)")
            #expect(response.body.contains("parameter \(parameter)"), "\(query): \(response.body)")
        }
    }
}
