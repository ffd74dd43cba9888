import Foundation
import ReceiverServer
import ReplayClient
import SpoolFormat
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real `uploader` sending several entries per request (`--entries-per-request`,
/// docs/PROTOCOL.md section 7) to the real `receiver` on 127.0.0.1, and to endpoints that do not
/// take pipelines.
@Suite("Upload in pipelines", .serialized)
struct PipelineUploadTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    func upload(_ spool: TestSpool, to url: String, ledger: String? = nil, _ extra: [String] = []) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        try await runUpload(spool, to: url, in: temp, ledger: ledger, extra)
    }

    /// Every entry of two installations arrives once, in far fewer requests than entries; a
    /// second run sends nothing.
    @Test(.timeLimit(.minutes(2)))
    func deliversEveryEntryOnceInPipelines() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, installations: 2, count: 50)
        let receiver = try await ReceiverProcess(in: temp)
        let first = try await upload(spool, to: receiver.url, ["--entries-per-request", "16", "--concurrency", "2"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("100 entries: 100 delivered; 100 requests ("), "\(first.stdout)")
        let pipelines = first.stdout.split(separator: "(").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        #expect((7...60).contains(pipelines), "\(first.stdout)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        let summary = try await receiver.summary()
        #expect(summary.requests.byStatus == ["201": 100])
        let second = try await upload(spool, to: receiver.url, ["--entries-per-request", "16"])
        #expect(second.status == 0 && second.stdout.contains("100 delivered before; 0 requests in"), "\(second.stdout)")
        #expect(try await receiver.summary().requests.total == 100, "the second run sent requests")
        await receiver.stop()
    }

    /// Whole pipelines failing with 500, and connections dropped before and after storing:
    /// everything arrives in the end, each entry once.
    @Test(.timeLimit(.minutes(2)), arguments: [["--fail-rate", "0.3", "--fail-status", "500"], ["--drop-rate", "0.3"]])
    func deliversEverythingDespiteFailedPipelines(faults: [String]) async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 120)
        let receiver = try await ReceiverProcess(in: temp, arguments: faults)
        let result = try await upload(
            spool, to: receiver.url, ["--entries-per-request", "8", "--retry-base", "0.01", "--retry-cap", "0.1", "--max-attempts", "60", "--memory", "0"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        let requests = try await receiver.summary().requests
        #expect(requests.dropped > 0 || requests.byStatus["500"] != nil, "no fault was injected: \(requests)")
        await receiver.stop()
    }

    /// A pipeline holds at most 256 KiB: entries of 100 KB go two to a pipeline, whatever
    /// --entries-per-request allows, and each is still delivered once.
    @Test(.timeLimit(.minutes(2)))
    func keepsEachPipelineWithin256KiB() async throws {
        let filler = String(repeating: "x", count: 100_000)
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 6) { _, n, _ in #"{"n":\#(n),"notes":"\#(filler)"}"# }
        let receiver = try await ReceiverProcess(in: temp)
        let result = try await upload(spool, to: receiver.url, ["--entries-per-request", "6", "--concurrency", "1"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("6 entries: 6 delivered; 6 requests (3 pipelines)"), "\(result.stdout)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        await receiver.stop()
    }

    /// kill -9 of the uploader while pipelines are in flight, again and again: the last run
    /// delivers the rest, and every entry is stored exactly once.
    @Test(.timeLimit(.minutes(3)))
    func survivesSIGKILLWithPipelinesInFlight() async throws {
        let count = 400
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: count)
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--delay-ms", "25"])
        let ledger = temp.file("ledger.sqlite")
        let arguments = ["upload", spool.directory, "--endpoint", receiver.url, "--ledger", ledger, "--concurrency", "2", "--entries-per-request", "4"]
        var stored = 0
        for _ in 0..<8 {
            let child = try ChildProcess(Command.product("uploader"), arguments, outputIn: temp.path)
            let before = stored
            let deadline = Date().addingTimeInterval(60)
            while child.process.isRunning, Date() < deadline {
                stored = try await receiver.summary().reports
                if stored > before { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...40)))
            try #require(child.process.isRunning, "the uploader finished before it was killed: \(child.stdout)")
            child.kill(SIGKILL)
            _ = await child.wait()
            try await Task.sleep(for: .milliseconds(100))
            stored = try await receiver.summary().reports
        }
        #expect(stored < count, "everything was delivered before the last kill")
        let final = try await runUploader(arguments, in: temp)
        #expect(final.status == 0, "\(final.stdout)\(final.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        await receiver.stop()
    }

    /// An endpoint that does not take pipelines, refusing them (404, 501) or answering them with
    /// something that is not a pipeline answer (a 200 that names no entry): the uploader says
    /// so once, sends each entry in a request of its own, and delivers everything.
    @Test(.timeLimit(.minutes(1)), arguments: ["HTTP/1.1 404 Not Found", "HTTP/1.1 501 Not Implemented", "HTTP/1.1 200 OK"])
    func fallsBackToOneEntryPerRequest(pipelineAnswer: String) async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 12)
        let pipelines = Counter()
        let endpoint = try RawEndpoint { socket, _, head in
            if head.contains("content-type: application/http") {
                pipelines.add()
                socket.send("\(pipelineAnswer)\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            } else {
                socket.send("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            }
            _ = socket.readUntilClosed(within: 1)
        }
        defer { endpoint.stop() }
        let result = try await upload(spool, to: endpoint.url, ["--entries-per-request", "5", "--concurrency", "1"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("12 entries: 12 delivered"), "\(result.stdout)")
        let code = pipelineAnswer.split(separator: " ")[1]
        #expect(result.stderr.contains("the endpoint did not take several entries per request (HTTP \(code)"), "\(result.stderr)")
        #expect(pipelines.value == 1, "sent \(pipelines.value) pipelines")
        #expect(endpoint.requests == 13)
    }

    /// Out of range, not a number, or too many entries in flight with --concurrency: a usage
    /// error naming the option, and nothing sent.
    @Test(.timeLimit(.minutes(1)), arguments: [["0"], ["1025"], ["x"], ["-1"], ["1024", "--concurrency", "17"]])
    func refusesAnEntriesPerRequestOutOfRange(value: [String]) async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 1)
        let result = try await upload(spool, to: "http://127.0.0.1:9", ["--entries-per-request"] + value)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("--entries-per-request"), "\(result.stderr)")
        if value.count > 1 { #expect(result.stderr.contains("17408 entries in flight, more than 16384"), "\(result.stderr)") }
    }

    /// With --entries-per-request, --concurrency defaults to 8: 1,024 entries per request is
    /// allowed (8,192 in flight; the default of 64 would put 65,536 in flight), and the run goes
    /// on to the endpoint, where nothing listens (75, try again later).
    @Test(.timeLimit(.minutes(1)))
    func concurrencyDefaultsTo8WithPipelines() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 1)
        let result = try await upload(spool, to: "http://127.0.0.1:9", ["--entries-per-request", "1024"])
        #expect(result.status == 75, "\(result.stdout)\(result.stderr)")
        let refused = try await upload(spool, to: "http://127.0.0.1:9", ["--entries-per-request", "1024", "--concurrency", "64"])
        #expect(refused.status == 2 && refused.stderr.contains("65536 entries in flight"), "\(refused.stderr)")
    }
}

/// A count shared with an endpoint's threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
