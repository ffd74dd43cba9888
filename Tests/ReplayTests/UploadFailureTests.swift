import Foundation
import ReceiverServer
import ReplayClient
import SpoolFormat
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An endpoint that cannot work as configured (nothing listening, an unknown name, a certificate
/// from an unknown CA) is reported at once with the fix, and the run ends within seconds with 75;
/// the entries keep their place, so the next run delivers them all.
@Suite("Upload failures are told at once", .serialized)
struct UploadFailureTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    /// A port on 127.0.0.1 that nothing listens on: bound by the kernel's choice, then closed.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs `uploader upload` on `spool` with this test's ledger; returns the result and how long it took.
    func upload(_ spool: TestSpool, endpoint: String, _ extra: [String] = []) async throws -> (
        status: Int32, stdout: String, stderr: String, seconds: Double
    ) {
        let start = Date()
        let result = try await runUploader(["upload", spool.directory, "--endpoint", endpoint, "--ledger", temp.file("ledger.sqlite")] + extra, in: temp)
        return (result.status, result.stdout, result.stderr, Date().timeIntervalSince(start))
    }

    /// How long `uploader verify` of `spool` takes now: a run that stops at once takes about as
    /// long (both start a process and verify the spool), however loaded the machine is.
    func verifySeconds(_ spool: TestSpool) async throws -> Double {
        let start = Date()
        let result = try await runUploader(["verify", spool.directory, "--ledger", temp.file("verify.sqlite")], in: temp)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        return Date().timeIntervalSince(start)
    }

    /// The ledger's entries: none counted an attempt, and each is due now.
    func expectEntriesKeptTheirPlace(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await runUploader(["status", "--json", "--ledger", temp.file("ledger.sqlite")], in: temp)
        let status = try JSONDecoder().decode(LedgerStatus.self, from: Data(result.stdout.utf8))
        #expect(status.counts["retrying", default: 0] + status.counts["pending", default: 0] == count, "\(status.counts)", sourceLocation: sourceLocation)
        #expect(status.counts["rejected", default: 0] == 0, sourceLocation: sourceLocation)
        let next = try #require(status.nextRetry.flatMap { try? Date($0, strategy: .iso8601) }, sourceLocation: sourceLocation)
        #expect(next <= Date(), "next retry \(status.nextRetry ?? "none") is in the future", sourceLocation: sourceLocation)
        let attempts = try Command.run("sqlite3", [temp.file("ledger.sqlite"), "SELECT sum(attempts) FROM entry"], in: temp.path)
        #expect(attempts.stdout == "0\n", "attempts counted: \(attempts.stdout)", sourceLocation: sourceLocation)
    }

    @Test(
        "a refused connection: told once on stderr with the fix, exit 75 within seconds; once the receiver runs, upload --now delivers everything",
        .timeLimit(.minutes(2)))
    func refusedConnection() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 12)
        let port = try Self.closedPort()
        let baseline = try await verifySeconds(spool)
        let refused = try await upload(spool, endpoint: "http://127.0.0.1:\(port)")
        #expect(refused.status == 75, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.seconds < 10 + baseline, "took \(refused.seconds) s; verify took \(baseline) s")
        let message =
            "error: connection refused by 127.0.0.1:\(port): nothing accepts connections there; check --endpoint, and that the endpoint (receiver) is running\n"
        #expect(refused.stderr.hasPrefix(message), "\(refused.stderr)")
        // Once per cause, not once per entry; never the wrapped NIO text.
        #expect(refused.stderr.components(separatedBy: "connection refused").count == 2, "\(refused.stderr)")
        #expect(!refused.stderr.contains("errno") && !refused.stdout.contains("errno"))
        #expect(refused.stderr.contains("stopped: the entries keep their place in the ledger; run 'uploader upload --now' once this is fixed"))
        // stdout holds the result only.
        #expect(refused.stdout.hasPrefix("12 entries: 12 waiting; "), "\(refused.stdout)")
        #expect(refused.stdout.split(separator: "\n").count == 1)
        try await expectEntriesKeptTheirPlace(12)

        let receiver = try await ReceiverProcess(in: temp)
        let delivered = try await upload(spool, endpoint: receiver.url, ["--now"])
        #expect(delivered.status == 0, "\(delivered.stdout)\(delivered.stderr)")
        #expect(delivered.stdout.hasPrefix("12 entries: 12 delivered"), "\(delivered.stdout)")
        #expect(delivered.stderr.isEmpty, "\(delivered.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        await receiver.stop()
    }

    @Test("a host name that does not resolve: told with the fix, exit 75 within seconds, nothing counted", .timeLimit(.minutes(1)))
    func unresolvableHost() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 3)
        let baseline = try await verifySeconds(spool)
        let result = try await upload(spool, endpoint: "https://telemetry.example.invalid")
        #expect(result.status == 75, "\(result.stdout)\(result.stderr)")
        #expect(result.seconds < 10 + baseline, "took \(result.seconds) s; verify took \(baseline) s")
        #expect(result.stderr.hasPrefix("error: cannot resolve the host name 'telemetry.example.invalid' ("), "\(result.stderr)")
        #expect(result.stderr.contains("check the host in --endpoint"))
        #expect(result.stderr.components(separatedBy: "cannot resolve").count == 2, "\(result.stderr)")
        try await expectEntriesKeptTheirPlace(3)
    }

    @Test(
        "a certificate from an unknown CA: told with the --ca-file hint, exit 75 within seconds; with --ca-file, upload --now delivers everything",
        .timeLimit(.minutes(2)))
    func untrustedCertificate() async throws {
        let certificates = try await TestCertificates(in: temp.path)
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 5)
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--tls-certificate", certificates.certificateFile, "--tls-key", certificates.keyFile])
        let target = String(receiver.url.dropFirst("https://".count))
        let baseline = try await verifySeconds(spool)
        let refused = try await upload(spool, endpoint: receiver.url)
        #expect(refused.status == 75, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.seconds < 10 + baseline, "took \(refused.seconds) s; verify took \(baseline) s")
        #expect(
            refused.stderr.hasPrefix(
                "error: the TLS certificate of \(target) does not verify (not signed by a trusted CA); if the endpoint uses a site's own CA, pass its certificate with --ca-file FILE\n"
            ), "\(refused.stderr)")
        #expect(refused.stderr.components(separatedBy: "does not verify").count == 2, "\(refused.stderr)")
        try await expectEntriesKeptTheirPlace(5)
        #expect(try await receiver.summary().requests.total == 0)

        let trusted = try await upload(spool, endpoint: receiver.url, ["--ca-file", certificates.caFile, "--now"])
        #expect(trusted.status == 0, "\(trusted.stdout)\(trusted.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: receiver)
        await receiver.stop()
    }

    @Test("--now sends entries waiting for a later retry at once, ignoring the backoff", .timeLimit(.minutes(1)))
    func nowIgnoresTheBackoff() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 4)
        // Every entry fails with 503 once the endpoint answered: counted, and due only after a long backoff.
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--fail-rate", "1"])
        let failing = try await upload(spool, endpoint: receiver.url, ["--retry-base", "3600", "--retry-cap", "3600", "--max-wait", "0"])
        #expect(failing.status == 75, "\(failing.stdout)\(failing.stderr)")
        await receiver.stop()
        let healthy = try await ReceiverProcess(in: temp)
        let later = try await upload(healthy, spool: spool, ["--retry-base", "3600", "--retry-cap", "3600", "--max-wait", "0"])
        #expect(later.status == 75, "without --now the backoff holds: \(later.stdout)")
        #expect(try await healthy.summary().requests.total == 0)
        let now = try await upload(healthy, spool: spool, ["--now", "--max-wait", "0"])
        #expect(now.status == 0, "\(now.stdout)\(now.stderr)")
        try await expectStoredExactlyOnce(spool, receiver: healthy)
        await healthy.stop()
    }

    @Test("each entry the endpoint refuses is named on stderr; stdout holds the summary line alone", .timeLimit(.minutes(1)))
    func rejectedEntriesOnStderr() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 3)
        let receiver = try await ReceiverProcess(in: temp, arguments: ["--fail-rate", "1", "--fail-status", "422"])
        let result = try await upload(spool, endpoint: receiver.url)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        for entry in spool.entries {
            #expect(result.stderr.contains("\(entry.name.entryFile): rejected: HTTP 422"), "\(result.stderr)")
        }
        #expect(result.stdout.hasPrefix("3 entries: 3 rejected; "), "\(result.stdout)")
        #expect(result.stdout.split(separator: "\n").count == 1)
        await receiver.stop()
    }

    private func upload(_ receiver: ReceiverProcess, spool: TestSpool, _ extra: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let result = try await upload(spool, endpoint: receiver.url, extra)
        return (result.status, result.stdout, result.stderr)
    }
}
