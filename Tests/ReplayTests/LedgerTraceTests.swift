import Foundation
import TestSupport
import Testing

/// The ledger's commits, checked on the system calls a real `uploader upload` makes (recorded
/// with `strace -f`): every write to the ledger is made durable by an fsync of the same file
/// before the process ends, so a delivery the ledger records survives a power loss.
@Suite("ledger durability under strace", .serialized)
struct LedgerTraceTests {
    @Test("every write to the ledger is followed by an fsync of that file", .timeLimit(.minutes(2)))
    func ledgerCommitsAreSynced() async throws {
        let temp = try TemporaryDirectory()
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 5)
        let receiver = try await ReceiverProcess(in: temp)
        let trace = temp.file("trace.txt")
        let child = try ChildProcess(
            "/usr/bin/strace",
            [
                "-f", "-y", "-qq", "-o", trace, "-e", "trace=write,pwrite64,writev,pwritev,fsync,fdatasync",
                Command.product("uploader"), "upload", spool.directory, "--endpoint", receiver.url, "--ledger", temp.file("ledger.sqlite"),
            ], outputIn: temp.path)
        let status = await child.wait()
        await receiver.stop()
        #expect(status == 0, "\(child.stdout)\(child.stderr)")
        #expect(child.stdout.contains("5 entries: 5 delivered"), "\(child.stdout)")

        // Per ledger file (the database and its WAL): the index of its last write and last fsync.
        var lastWrite: [String: Int] = [:]
        var lastSync: [String: Int] = [:]
        for (index, line) in try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").enumerated() {
            // "PID call(FD</path/ledger.sqlite-wal>, ...": the ledger file this call touches.
            guard let open = line.range(of: "/ledger.sqlite"), let paren = line.firstIndex(of: "("), paren < open.lowerBound else { continue }
            let call = line[..<paren].split(separator: " ").last.map(String.init) ?? ""
            let file = String(line[open.lowerBound...].prefix { $0 != ">" })
            // The -shm file is SQLite's shared-memory index, rebuilt from the WAL: never synced.
            if file.hasSuffix("-shm") { continue }
            if call.hasPrefix("write") || call.hasPrefix("pwrite") { lastWrite[file] = index }
            if call == "fsync" || call == "fdatasync" { lastSync[file] = index }
        }
        #expect(!lastWrite.isEmpty, "no write to the ledger was traced")
        for (file, write) in lastWrite {
            #expect((lastSync[file] ?? -1) > write, "ledger\(file.dropFirst("/ledger.sqlite".count)) is written after its last fsync")
        }
    }
}
