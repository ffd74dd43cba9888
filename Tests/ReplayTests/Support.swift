import AsyncHTTPClient
import Foundation
import Logging
import ReceiverServer
import SpoolFormat
import SpoolStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOCore
    import NIOSSL
#endif

/// A spool written by the real `SpoolWriter`, with what was written.
struct TestSpool: Sendable {
    let directory: String
    var entries: [SpoolEntry] = []
    var identities: [StateDirectory.Identity] = []

    /// Writes `count` entries for each of `installations` installations into `directory`; `body`
    /// makes the body of entry `n` of installation `index` (with its installation ID).
    static func make(
        in directory: String, stateRoot: String, installations: Int = 1, count: Int,
        body: (_ index: Int, _ n: Int, _ installation: String) -> String = { index, n, _ in #"{"installation":\#(index),"n":\#(n),"users":\#(n * 7 % 13)}"# }
    ) throws -> TestSpool {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var spool = TestSpool(directory: directory)
        for index in 0..<installations {
            let state = StateDirectory(path: stateRoot + "/state-\(index)")
            let identity = try state.createIdentity()
            spool.identities.append(identity)
            let writer = try SpoolWriter(spool: directory, state: state, identity: identity, logger: Logger(label: "test"))
            for n in 0..<count {
                let body = Array(body(index, n, identity.installation).utf8)
                spool.entries.append(try writer.append(body: body, productVersion: "2.\(index).\(n)", schema: 1).entry)
            }
        }
        return spool
    }

    func path(of entry: SpoolEntry) -> String { directory + "/" + entry.name.entryFile }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A process whose output goes to files (no pipe to fill up and block it).
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    init(_ executable: String, _ arguments: [String], outputIn directory: String, environment: [String: String] = [:]) throws {
        let tag = UUID().uuidString.prefix(8)
        stdoutPath = directory + "/\((executable as NSString).lastPathComponent)-\(tag).out"
        stderrPath = directory + "/\((executable as NSString).lastPathComponent)-\(tag).err"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits for exit without blocking a cooperative thread.
    func wait() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        return process.terminationStatus
    }

    func kill(_ signal: Int32) {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
    }
}

/// The real `receiver` binary on 127.0.0.1 with a free port.
final class ReceiverProcess: @unchecked Sendable {
    let child: ChildProcess
    let url: String
    let databasePath: String

    /// - Parameter postgres: the URL of a PostgreSQL database to store in (`--database`); `nil`: a new SQLite file.
    init(in directory: TemporaryDirectory, arguments: [String] = [], postgres: String? = nil) async throws {
        databasePath = directory.file("receiver-\(UUID().uuidString.prefix(8)).sqlite")
        child = try ChildProcess(
            Command.product("receiver"),
            ["serve", "--host", "127.0.0.1", "--port", "0"] + (postgres.map { ["--database", $0] } ?? ["--db", databasePath]) + arguments,
            outputIn: directory.path)
        let deadline = Date().addingTimeInterval(60)
        var found: String?
        while found == nil, Date() < deadline, child.process.isRunning {
            if let line = child.stdout.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                found = line.split(separator: " ").dropFirst(2).first.map(String.init)
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        guard let found else {
            child.kill(SIGKILL)
            throw TestFailure("receiver did not start: \(child.stdout) \(child.stderr)")
        }
        url = found
    }

    /// For `GET /summary` of a test receiver over HTTPS: its certificate is the test's own.
    static let testClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(certificateVerification: .none))

    func summary() async throws -> ReceiverSummary {
        let client = url.hasPrefix("https:") ? Self.testClient : HTTPClient.shared
        let response = try await client.execute(HTTPClientRequest(url: url + "/summary"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 22)
        return try JSONDecoder().decode(ReceiverSummary.self, from: Data(body.readableBytesView))
    }

    /// The stored reports, read from the receiver's database.
    func reports() async throws -> [StoredReport] {
        try await SQLiteReportStore(path: databasePath).reports(installation: nil, receivedSince: nil, after: 0, limit: .max)
    }

    func stop() async {
        child.kill(SIGTERM)
        _ = await child.wait()
    }

    deinit { child.kill(SIGKILL) }
}

/// Runs blocking work (writing a large spool, a child process run to completion) on a thread of
/// its own, so that it does not hold one of the few threads every async test shares.
func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}

/// Runs the real `uploader` binary to completion.
func runUploader(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:]) async throws -> (
    status: Int32, stdout: String, stderr: String
) {
    let child = try ChildProcess(Command.product("uploader"), arguments, outputIn: directory.path, environment: environment)
    let status = await child.wait()
    return (status, child.stdout, child.stderr)
}

/// Runs the real `uploader upload` of `spool` to `url` to completion, with the ledger `ledger`
/// (by default `ledger.sqlite` in `directory`).
func runUpload(_ spool: TestSpool, to url: String, in directory: TemporaryDirectory, ledger: String? = nil, _ extra: [String] = []) async throws -> (
    status: Int32, stdout: String, stderr: String
) {
    try await runUploader(["upload", spool.directory, "--endpoint", url, "--ledger", ledger ?? directory.file("ledger.sqlite")] + extra, in: directory)
}

/// Asserts that the receiver stored each of `spool`'s entries exactly once, byte for byte.
func expectStoredExactlyOnce(_ spool: TestSpool, receiver: ReceiverProcess, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let stored = try await receiver.reports()
    #expect(stored.count == spool.entries.count, "stored \(stored.count) reports for \(spool.entries.count) entries", sourceLocation: sourceLocation)
    let byDigest = Dictionary(grouping: stored, by: \.digest)
    for entry in spool.entries {
        let rows = byDigest[entry.digest.description] ?? []
        #expect(rows.count == 1, "\(entry.name) stored \(rows.count) times", sourceLocation: sourceLocation)
        #expect(rows.first?.body == entry.body, "\(entry.name) body differs", sourceLocation: sourceLocation)
    }
    let keys = Set(stored.map { "\($0.installation)/\($0.sequence)" })
    #expect(keys.count == stored.count, "an installation and sequence is stored twice", sourceLocation: sourceLocation)
}

/// A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with the openssl CLI.
struct TestCertificates {
    let caFile: String
    let certificateFile: String
    let keyFile: String

    init(in directory: String) async throws {
        caFile = directory + "/ca.pem"
        certificateFile = directory + "/server.pem"
        keyFile = directory + "/server.key"
        let ext = directory + "/server.ext"
        try Data("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n".utf8)
            .write(to: URL(fileURLWithPath: ext))
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", directory + "/ca.key",
                "-out", caFile, "-days", "2", "-subj", "/CN=TelemetrySpool test CA",
            ],
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile,
                "-out", directory + "/server.csr", "-subj", "/CN=127.0.0.1",
            ],
            [
                "x509", "-req", "-in", directory + "/server.csr", "-CA", caFile, "-CAkey", directory + "/ca.key", "-CAcreateserial",
                "-out", certificateFile, "-days", "2", "-extfile", ext,
            ],
        ]
        for arguments in steps {
            let child = try ChildProcess("/usr/bin/openssl", arguments, outputIn: directory)
            guard await child.wait() == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")) failed: \(child.stderr)") }
        }
    }
}
