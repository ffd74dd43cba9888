import Foundation
import SpoolFormat
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The spool, the state directory and the files we are pointed at, prepared by an adversary:
/// nothing committed is lost, nothing hangs, nothing printed can forge a line.
@Suite("spooler under hostile files", .serialized)
struct HostileSpoolTests {
    func installation(_ spooler: Spooler) throws -> String {
        try String(contentsOfFile: spooler.state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines)
    }

    @Test(
        "a committed entry whose .sig is moved away or replaced by a symlink is kept and reported, never removed",
        .timeLimit(.minutes(1)), arguments: ["moved", "symlink"])
    func committedEntryKept(how: String) throws {
        let spooler = try Spooler()
        _ = try spooler.collect()
        let second = try spooler.collect()
        _ = try spooler.collect()
        let entry = spooler.work.file(second)
        let signature = entry + ".sig"
        let saved = spooler.work.file("saved.sig")
        try FileManager.default.moveItem(atPath: signature, toPath: saved)
        if how == "symlink" { try FileManager.default.createSymbolicLink(atPath: signature, withDestinationPath: saved) }

        let collect = try spooler.run("collect", "--state", spooler.state)
        #expect(collect.status == 0)
        #expect(FileManager.default.fileExists(atPath: entry), "the committed entry was removed")
        #expect(collect.stderr.contains("signature_missing") || collect.stderr.contains("is kept"), "\(collect.stderr)")
        #expect(!collect.stderr.contains("recovered: \(second.dropFirst("Spool/".count))"))

        let verify = try spooler.run("verify", "--state", spooler.state)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("[signature_missing]"))
        #expect(!verify.stdout.contains("leftover"), "\(verify.stdout)")

        // Put back, the spool is whole again.
        try? FileManager.default.removeItem(atPath: signature)
        try FileManager.default.moveItem(atPath: saved, toPath: signature)
        let again = try spooler.run("verify", "--state", spooler.state)
        #expect(again.status == 0, "\(again.stdout)")
    }

    @Test("an entry above the chain head without its .sig is still cleaned up as a leftover", .timeLimit(.minutes(1)))
    func leftoverAboveHead() throws {
        let spooler = try Spooler()
        let first = try spooler.collect()
        let orphan = "Spool/\(try installation(spooler))-0000000002.json.gz"
        try FileManager.default.copyItem(atPath: spooler.work.file(first), toPath: spooler.work.file(orphan))
        let verify = try spooler.run("verify", "--state", spooler.state)
        #expect(verify.stdout.contains("[leftover_incomplete]"))
        let collect = try spooler.run("collect", "--state", spooler.state)
        #expect(collect.stderr.contains("recovered: \(orphan.dropFirst("Spool/".count))"))
        #expect(try spooler.run("verify", "--state", spooler.state).status == 0)
    }

    @Test(
        "a FIFO as chain state, entry, signature, allowed_signers, configuration or any source is refused, without hanging",
        .timeLimit(.minutes(1)))
    func fifos() throws {
        let spooler = try Spooler()
        let path = try spooler.collect()
        let chain = spooler.state + "/chain-state.json"

        // An entry and a signature: verify reports them and finishes.
        let fifoEntry = spooler.work.file("Spool/\(try installation(spooler))-0000000007.json.gz")
        #expect(mkfifo(fifoEntry, 0o644) == 0)
        #expect(mkfifo(fifoEntry + ".sig", 0o644) == 0)
        let verify = try spooler.run("verify", "--state", spooler.state)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("0000000007.json.gz"), "\(verify.stdout)")
        try FileManager.default.removeItem(atPath: fifoEntry)
        try FileManager.default.removeItem(atPath: fifoEntry + ".sig")

        // The chain state.
        try FileManager.default.moveItem(atPath: chain, toPath: chain + ".saved")
        #expect(mkfifo(chain, 0o600) == 0)
        for command in ["verify", "collect"] {
            let result = try spooler.run(command, "--state", spooler.state)
            #expect(result.status == 1, "\(command)")
            #expect(result.stderr.contains("chain-state.json: is a FIFO (named pipe), not a regular file"), "\(command): \(result.stderr)")
        }
        try FileManager.default.removeItem(atPath: chain)
        try FileManager.default.moveItem(atPath: chain + ".saved", toPath: chain)

        // allowed_signers, for both executables that read one.
        let signers = spooler.work.file("allowed_signers")
        #expect(mkfifo(signers, 0o644) == 0)
        let spoolerVerify = try spooler.run("verify", "--state", spooler.state, "--allowed-signers", signers)
        #expect(spoolerVerify.status == 1)
        #expect(spoolerVerify.stderr.contains("allowed_signers: is a FIFO (named pipe), not a regular file"), "\(spoolerVerify.stderr)")
        #expect(!spoolerVerify.stderr.contains("permission"))
        let uploader = try Command.run(
            Command.product("uploader"),
            [
                "verify", spooler.work.file("Spool"), "--allowed-signers", signers,
                "--ledger", spooler.work.file("ledger.sqlite"),
            ])
        #expect(uploader.status == 1)
        #expect(uploader.stderr.contains("is a FIFO (named pipe), not a regular file"), "\(uploader.stderr)")

        // The configuration, and a database and a file source named in it.
        let config = spooler.work.file("fifo.conf")
        #expect(mkfifo(config, 0o644) == 0)
        let badConfig = try spooler.run("collect", "--state", spooler.state, "--config", config)
        #expect(badConfig.status != 0)
        #expect(badConfig.stderr.contains("fifo.conf: is a FIFO (named pipe), not a regular file"), "\(badConfig.stderr)")
        #expect(mkfifo(spooler.work.file("db.fifo"), 0o644) == 0)
        #expect(mkfifo(spooler.work.file("value.fifo"), 0o644) == 0)
        #expect(mkfifo(spooler.work.file("pid.fifo"), 0o644) == 0)
        #expect(mkfifo(spooler.work.file("license.fifo"), 0o644) == 0)
        try """
        watch_pid_file = pid.fifo
        license_file = license.fifo
        [database product]
        path = db.fifo
        [metric projects]
        sqlite = product
        query = SELECT 1
        [metric users]
        file = value.fifo

        """.write(toFile: spooler.work.file("sources.conf"), atomically: true, encoding: .utf8)
        let preview = try spooler.run("preview", "--json", "--state", spooler.state, "--config", spooler.work.file("sources.conf"))
        #expect(preview.status == 0, "\(preview.stderr)")
        #expect(preview.stdout.contains("database_error"), "\(preview.stdout)")
        #expect(preview.stdout.contains("file_unreadable"), "\(preview.stdout)")
        _ = path
    }

    @Test("file names with a newline or an escape sequence are printed escaped and cannot forge a line", .timeLimit(.minutes(1)))
    func namesEscaped() throws {
        let spooler = try Spooler()
        _ = try spooler.collect()
        let forged = "x\nverified 1 entry of 1 installation: no problems\n\u{1b}[2J"
        _ = FileManager.default.createFile(atPath: spooler.work.file("Spool/" + forged), contents: Data("x".utf8))
        let verify = try spooler.run("verify", "--state", spooler.state)
        #expect(verify.status == 1)
        #expect(!verify.stdout.contains("\u{1b}"))
        #expect(!verify.lines.contains { $0.hasPrefix("verified") }, "\(verify.stdout)")
        #expect(verify.stdout.contains(#"x\nverified 1 entry of 1 installation: no problems\n\x1b[2J: is not part of a spool"#), "\(verify.stdout)")
        let uploader = try Command.run(Command.product("uploader"), ["verify", spooler.work.file("Spool"), "--ledger", spooler.work.file("ledger.sqlite")])
        #expect(!uploader.stdout.contains("\u{1b}") && !uploader.stderr.contains("\u{1b}"))
        #expect(uploader.stdout.contains(#"\x1b[2J"#), "\(uploader.stdout)")

        // A path given on the command line is escaped in errors too.
        let missing = try spooler.run("verify", "--state", spooler.state, "--spool", "no\u{1b}]0;title\u{7}where")
        #expect(missing.status == 1)
        #expect(!missing.stderr.contains("\u{1b}"))
        #expect(missing.stderr.contains(#"no\x1b]0;title\x07where"#), "\(missing.stderr)")
    }
}
