import Foundation
import ReplayClient
import SpoolFormat
import TestSupport
import Testing

/// The real `uploader` against endpoints that misbehave: answers trickled a byte at a time,
/// Retry-After values meant to park entries for years, and the ledger damaged or busy.
@Suite("Upload against a hostile or broken endpoint", .serialized)
struct HostileEndpointTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    func upload(_ spool: TestSpool, to url: String, ledger: String? = nil, _ extra: [String] = []) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        try await runUpload(spool, to: url, in: temp, ledger: ledger, extra)
    }

    /// `--timeout` covers the answer body: an endpoint that sends a status line and then a byte
    /// every 3 s (for 10 minutes) does not hold the upload beyond the limit. The bound on the
    /// run leaves room for a loaded machine; the ledger's error says the time limit cut it off.
    @Test(.timeLimit(.minutes(2)))
    func timeoutCoversTheAnswerBody() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 1)
        let endpoint = try RawEndpoint { socket, _ in
            socket.send("HTTP/1.1 201 Created\r\nContent-Length: 1000\r\n\r\n")
            for _ in 0..<200 {
                Thread.sleep(forTimeInterval: 3)
                socket.send("x")
            }
        }
        defer { endpoint.stop() }
        let started = Date()
        let result = try await upload(spool, to: endpoint.url, ["--timeout", "4", "--max-attempts", "1", "--max-wait", "0"])
        let took = Date().timeIntervalSince(started)
        #expect(took < 60, "the upload took \(took) s with --timeout 4")
        #expect(result.status == 75, "\(result.stdout)\(result.stderr)")
        let status = try await runUploader(["status", "--ledger", temp.file("ledger.sqlite")], in: temp)
        #expect(status.stdout.contains("no complete answer within 4.0 s (--timeout)"), "\(status.stdout)")
    }

    /// A Retry-After of 10^26 seconds is capped by --retry-cap: the entry is retried a second
    /// later and delivered, with no bogus date anywhere.
    @Test(.timeLimit(.minutes(1)))
    func retryAfterIsCappedByRetryCap() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 1)
        let endpoint = try RawEndpoint { socket, number in
            if number == 1 {
                socket.send("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 100000000000000000000000000\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            } else {
                socket.send("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            }
            _ = socket.readUntilClosed(within: 1)
        }
        defer { endpoint.stop() }
        let result = try await upload(spool, to: endpoint.url, ["--retry-cap", "1", "--max-wait", "30"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(endpoint.requests == 2)
    }

    /// `--now` sends entries parked by an earlier run's Retry-After at once.
    @Test(.timeLimit(.minutes(1)))
    func nowIgnoresTheSchedule() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 3)
        let failing = try await ReceiverProcess(
            in: temp, arguments: ["--fail-rate", "1", "--fail-status", "503", "--retry-after", "3600", "--fail-count", "1"])
        let first = try await upload(spool, to: failing.url, ["--retry-cap", "3600", "--max-wait", "1", "--concurrency", "1"])
        #expect(first.status == 75, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("1 waiting"), "\(first.stdout)")
        let waiting = try await upload(spool, to: failing.url, ["--retry-cap", "3600", "--max-wait", "1"])
        #expect(waiting.status == 75, "a run without --now sent the parked entry: \(waiting.stdout)")
        let now = try await upload(spool, to: failing.url, ["--retry-cap", "3600", "--max-wait", "1", "--now"])
        #expect(now.status == 0, "\(now.stdout)\(now.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: failing)
        await failing.stop()
    }

    /// An entry quarantined as unreadable, then repaired and delivered, shows as delivered only:
    /// status reflects the latest verdict and counts each entry once.
    @Test(.timeLimit(.minutes(1)))
    func aRepairedEntryLeavesQuarantine() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 3)
        let receiver = try await ReceiverProcess(in: temp)
        let damaged = spool.path(of: spool.entries[1])
        let original = try Data(contentsOf: URL(fileURLWithPath: damaged))
        try Data("not gzip".utf8).write(to: URL(fileURLWithPath: damaged))
        let first = try await upload(spool, to: receiver.url)
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        try original.write(to: URL(fileURLWithPath: damaged))
        let second = try await upload(spool, to: receiver.url)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let result = try await runUploader(["status", "--json", "--ledger", temp.file("ledger.sqlite")], in: temp)
        let status = try JSONDecoder().decode(LedgerStatus.self, from: Data(result.stdout.utf8))
        #expect(status.counts["quarantined"] == 0, "\(status.counts)")
        #expect(status.counts["delivered"] == 3)
        #expect(status.held.isEmpty)
        #expect(status.installations.first?.entries == 3)
        await receiver.stop()
    }

    /// A damaged ledger (garbage in the middle, or an empty file) is named, said to be damaged,
    /// with what to do, and no SQL; exit 1.
    @Test(.timeLimit(.minutes(1)), arguments: ["garbage", "empty"])
    func aDamagedLedgerIsNamed(damage: String) async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 2)
        let receiver = try await ReceiverProcess(in: temp)
        let ledger = temp.file("ledger.sqlite")
        #expect(try await upload(spool, to: receiver.url).status == 0)
        await receiver.stop()
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: ledger + suffix) }
        if damage == "garbage" {
            var bytes = try Data(contentsOf: URL(fileURLWithPath: ledger))
            let middle = bytes.count / 2
            bytes.replaceSubrange(0..<min(bytes.count, 4096), with: Data(repeating: 0x5A, count: min(bytes.count, 4096)))
            bytes.replaceSubrange(middle..<min(bytes.count, middle + 4096), with: Data(repeating: 0xA5, count: min(bytes.count - middle, 4096)))
            try bytes.write(to: URL(fileURLWithPath: ledger))
        } else {
            try Data().write(to: URL(fileURLWithPath: ledger))
        }
        let status = try await runUploader(["status", "--ledger", ledger], in: temp)
        #expect(status.status == 1, "\(status.stdout)\(status.stderr)")
        #expect(status.stderr.contains("ledger \(ledger) is damaged"), "\(status.stderr)")
        #expect(status.stderr.contains("Move it aside"), "\(status.stderr)")
        #expect(!status.stderr.contains("SQLite error") && !status.stderr.contains("SELECT"), "\(status.stderr)")
    }

    /// A ledger locked by another process is "try again later" (75), not a rejection (1).
    @Test(.timeLimit(.minutes(1)))
    func aBusyLedgerExits75() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 1)
        let ledger = temp.file("ledger.sqlite")
        _ = try Ledger(path: ledger)
        // sqlite3 holds an exclusive lock for 15 s, longer than the ledger's 10 s busy timeout.
        let holder = try ChildProcess(
            "/usr/bin/python3",
            [
                "-c",
                """
                import sqlite3, time, sys
                db = sqlite3.connect(sys.argv[1], isolation_level=None)
                db.execute("BEGIN EXCLUSIVE")
                print("locked", flush=True)
                time.sleep(15)
                """, ledger,
            ], outputIn: temp.path)
        defer { holder.kill(SIGKILL) }
        while !holder.stdout.contains("locked") { try await Task.sleep(for: .milliseconds(20)) }
        let status = try await runUploader(["status", "--ledger", ledger], in: temp)
        #expect(status.status == 75, "\(status.stdout)\(status.stderr)")
        #expect(status.stderr.contains("ledger \(ledger) is locked by another process; try again"), "\(status.stderr)")
        _ = spool
    }
}
