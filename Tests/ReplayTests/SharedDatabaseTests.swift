import Foundation
import Logging
import ReceiverServer
import ReplayClient
import SpoolFormat
import SpoolStore
import TestSupport
import Testing

/// Several receivers on one PostgreSQL database, as behind a load balancer: the database's unique
/// constraints decide what is stored, so an entry arriving through two receivers at once is
/// stored once.
@Suite("Receivers sharing a PostgreSQL database", .serialized)
struct SharedDatabaseTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    /// Two operators upload copies of the same media at the same time, each through a different
    /// receiver, with ledgers of their own: every entry is stored once, and both ledgers end with
    /// every entry delivered.
    @Test(.timeLimit(.minutes(3)))
    func twoUploadersThroughTwoReceiversStoreEachEntryOnce() async throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, installations: 2, count: 150)
        // A third installation whose oldest entries a spool limit removed: a tombstone declares them.
        let state = StateDirectory(path: temp.file("state-pruned"))
        let writer = try SpoolWriter(spool: spool.directory, state: state, identity: try state.createIdentity(), logger: Logger(label: "test"))
        let old = Date().addingTimeInterval(-10 * 86_400)
        var kept: [SpoolEntry] = []
        for n in 1...6 {
            let entry = try writer.append(body: Array(#"{"n":\#(n)}"#.utf8), productVersion: "3.0.\(n)", schema: 1, now: n <= 4 ? old : Date()).entry
            if n > 4 { kept.append(entry) }
        }
        try #require(try writer.prune(limits: SpoolLimits(maxAge: 86_400), productVersion: "3.0.6").count == 1)
        let reports = spool.entries + kept
        let total = reports.count + 1

        let server = try await PostgresServer.shared()
        let database = try await server.createDatabase()
        let receivers = [try await ReceiverProcess(in: temp, postgres: database), try await ReceiverProcess(in: temp, postgres: database)]
        async let first = runUploader(
            ["upload", spool.directory, "--endpoint", receivers[0].url, "--ledger", temp.file("ledger-a.sqlite")], in: temp)
        async let second = runUploader(
            ["upload", spool.directory, "--endpoint", receivers[1].url, "--ledger", temp.file("ledger-b.sqlite")], in: temp)
        for result in try await [first, second] {
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("\(total) entries: \(total) delivered"), "\(result.stdout)")
        }

        // Counted by the stock psql: one row per entry, whichever receiver took it.
        let counts = try await server.psql(
            database,
            "SELECT count(*), count(DISTINCT digest), count(DISTINCT (installation, sequence)), count(*) FILTER (WHERE kind = 'tombstone') FROM report")
        #expect(counts == ["\(total)|\(total)|\(total)|1"])
        let digests = Set(try await server.psql(database, "SELECT digest FROM report"))
        #expect(reports.allSatisfy { digests.contains($0.digest.description) }, "a report is not stored")
        // Each entry reached both receivers; exactly one of the two answers was "stored".
        let summaries = [try await receivers[0].summary(), try await receivers[1].summary()]
        #expect(summaries.map { $0.requests.byStatus["201", default: 0] }.reduce(0, +) == total, "\(summaries.map(\.requests))")
        #expect(summaries.map { $0.requests.byStatus["200", default: 0] }.reduce(0, +) == total, "\(summaries.map(\.requests))")
        #expect(summaries[0].byInstallation == summaries[1].byInstallation)
        #expect(summaries[0].reports == reports.count && summaries[0].byInstallation.allSatisfy(\.missing.isEmpty))

        for ledger in ["ledger-a.sqlite", "ledger-b.sqlite"] {
            let result = try await runUploader(["status", "--json", "--ledger", temp.file(ledger)], in: temp)
            #expect(result.status == 0, "\(result.stderr)")
            let status = try JSONDecoder().decode(LedgerStatus.self, from: Data(result.stdout.utf8))
            #expect(status.counts["delivered"] == total, "\(ledger): \(status.counts)")
        }
        for receiver in receivers { await receiver.stop() }
    }

    /// `--db` and `--database` name two stores: a usage error; a bad URL is named, without its password.
    @Test(.timeLimit(.minutes(1)))
    func refusesTwoStoresAndBadURLs() async throws {
        let both = try await runReceiver(["serve", "--db", temp.file("r.sqlite"), "--database", "postgres://u@127.0.0.1/db"])
        #expect(both.status == 2, "\(both.status)")
        #expect(both.stderr.contains("--db (SQLite) and --database (PostgreSQL)"), "\(both.stderr)")
        let bad = try await runReceiver(["serve", "--database", "postgres://u:secret@127.0.0.1"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("no database name") && !bad.stderr.contains("secret"), "\(bad.stderr)")
        let port = try await runReceiver(["serve", "--database", "postgres://u@127.0.0.1:70000/db"])
        #expect(port.status == 2 && port.stderr.contains("the port must be 1...65535"), "\(port.stderr)")
        // Nothing listens on port 1: one plain line, the password nowhere, no nested error types.
        let refused = try await runReceiver(["serve", "--database", "postgres://u:secret@127.0.0.1:1/db"])
        #expect(refused.status == 1, "\(refused.status)")
        #expect(
            refused.stderr == "Error: cannot open the database postgres://u@127.0.0.1:1/db: 127.0.0.1:1: connection refused\n",
            "\(refused.stderr)")
        let unknown = try await runReceiver(["serve", "--database", "postgres://u@db.invalid/db"])
        #expect(unknown.status == 1 && unknown.stderr.contains("the name db.invalid does not resolve"), "\(unknown.stderr)")
    }

    /// Runs the real `receiver` to completion.
    func runReceiver(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(Command.product("receiver"), arguments, outputIn: temp.path)
        let status = await child.wait()
        return (status, child.stdout, child.stderr)
    }
}
