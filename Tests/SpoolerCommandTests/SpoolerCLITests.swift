import Foundation
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

/// Runs the built `spooler` as an administrator would, in a fresh working directory.
struct Spooler {
    let work: TemporaryDirectory
    var state: String { work.file("state") }

    init() throws { work = try TemporaryDirectory("spooler-cli") }

    @discardableResult
    func run(_ arguments: String..., environment: [String: String] = [:]) throws -> Command.Result {
        try Command.run(Command.product("spooler"), arguments, in: work.path, environment: environment)
    }

    func collect() throws -> String {
        let result = try run("collect", "--state", state)
        #expect(result.status == 0, "collect failed: \(result.stderr)")
        return try #require(result.lines.last)
    }
}

@Suite("spooler command line", .serialized)
struct SpoolerCLITests {
    @Test("collect creates the identity once, prints the entry path last, and the chain rises by one", .timeLimit(.minutes(1)))
    func collect() throws {
        let spooler = try Spooler()
        let first = try spooler.run("collect", "--state", spooler.state)
        #expect(first.status == 0)
        #expect(first.stderr.contains("created installation"))
        let installation = try String(contentsOfFile: spooler.state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(first.lines.last == "Spool/\(installation)-0000000001.json.gz")
        let second = try spooler.run("collect", "--state", spooler.state)
        #expect(!second.stderr.contains("created installation"))
        #expect(second.lines.last == "Spool/\(installation)-0000000002.json.gz")
        #expect(FileManager.default.fileExists(atPath: spooler.work.file(second.lines.last! + ".sig")))
    }

    @Test("collect removes leftovers of an interrupted write, says so on stderr, and continues the chain", .timeLimit(.minutes(1)))
    func collectReportsRecovery() throws {
        let spooler = try Spooler()
        let first = try spooler.collect()
        let installation = try String(contentsOfFile: spooler.state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines)
        // What a crash between the two renames leaves: entry 2's .json.gz without its .sig, and a temporary.
        let orphan = "Spool/\(installation)-0000000002.json.gz"
        try FileManager.default.copyItem(atPath: spooler.work.file(first), toPath: spooler.work.file(orphan))
        _ = FileManager.default.createFile(atPath: spooler.work.file("Spool/.tmp-\(installation)-0000000002.json.gz.sig-1a2b"), contents: Data("x".utf8))
        #expect(try spooler.run("verify", "--state", spooler.state).status == 1)
        let next = try spooler.run("collect", "--state", spooler.state)
        #expect(next.status == 0)
        #expect(next.stderr.contains("recovered: \(orphan.dropFirst("Spool/".count))"))
        #expect(next.stderr.contains("recovered: .tmp-"))
        #expect(next.lines.last == orphan)
        #expect(try spooler.run("verify", "--state", spooler.state).status == 0)
    }

    @Test("preview prints exactly the body collect then spools, and writes nothing", .timeLimit(.minutes(1)))
    func preview() throws {
        let spooler = try Spooler()
        _ = try spooler.collect()
        let before = try FileManager.default.contentsOfDirectory(atPath: spooler.work.file("Spool")).sorted()
        let preview = try spooler.run("preview", "--json", "--state", spooler.state)
        #expect(preview.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spooler.work.file("Spool")).sorted() == before)
        let path = try spooler.collect()
        let zcat = try Command.run("zcat", [spooler.work.file(path)])
        #expect(zcat.lines.count == 2)
        #expect(zcat.lines[1] + "\n" == preview.stdout)
    }

    @Test("verify exits 0 when clean, 1 naming the damaged entry, 2 on usage errors; --json for scripts", .timeLimit(.minutes(1)))
    func verifyExitCodes() throws {
        let spooler = try Spooler()
        _ = try spooler.collect()
        let path = try spooler.collect()
        _ = try spooler.collect()
        #expect(try spooler.run("verify", "--state", spooler.state).status == 0)

        var bytes = try Data(contentsOf: URL(fileURLWithPath: spooler.work.file(path)))
        bytes[bytes.count - 3] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: spooler.work.file(path)))
        let damaged = try spooler.run("verify", "--state", spooler.state)
        #expect(damaged.status == 1)
        #expect(damaged.lines.first?.hasPrefix(path + ": ") == true)
        #expect(damaged.lines.last?.contains("1 problem") == true)

        let json = try spooler.run("verify", "--state", spooler.state, "--json")
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["clean"] as? Bool == false)
        #expect((object["problems"] as? [[String: Any]])?.first?["file"] as? String == (path as NSString).lastPathComponent)

        #expect(try spooler.run("verify", "--state", spooler.state, "--spool", "does-not-exist").status == 1)
        #expect(try spooler.run("verify", "--bogus-flag").status == 2)
        #expect(try spooler.run("verify", "--state", spooler.work.file("empty-state")).status == 1)
    }

    @Test("verify --allowed-signers checks another installation's spool, without this machine's state", .timeLimit(.minutes(1)))
    func verifyForeignSpool() throws {
        let site = try Spooler()
        let auditor = try Spooler()
        _ = try site.collect()
        _ = try site.collect()
        _ = try auditor.collect()  // the auditor's machine spools too: its state must not interfere
        let signers = try site.run("pubkey", "--state", site.state, "--allowed-signers")
        try signers.stdout.write(toFile: auditor.work.file("site_signers"), atomically: true, encoding: .utf8)
        let spool = site.work.file("Spool")
        let ok = try Command.run(
            Command.product("spooler"), ["verify", "--spool", spool, "--allowed-signers", "site_signers"],
            in: auditor.work.path, environment: ["SPOOLER_STATE": auditor.state])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.lines.last?.hasPrefix("verified 2 entries") == true)
        // The auditor's own key does not vouch for the site's entries.
        let own = try auditor.run("pubkey", "--state", auditor.state, "--allowed-signers")
        try own.stdout.write(toFile: auditor.work.file("own_signers"), atomically: true, encoding: .utf8)
        let refused = try Command.run(
            Command.product("spooler"), ["verify", "--spool", spool, "--allowed-signers", "own_signers"],
            in: auditor.work.path)
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("[key_untrusted]"))
        #expect(try auditor.run("verify", "--allowed-signers", "missing-file").status == 1)
    }

    @Test("inspect shows metadata, body and a GOOD signature; a tampered entry is shown as BAD with exit 1", .timeLimit(.minutes(1)))
    func inspect() throws {
        let spooler = try Spooler()
        let path = try spooler.collect()
        let good = try spooler.run("inspect", "--state", spooler.state, path)
        #expect(good.status == 0)
        #expect(good.stdout.contains("\"sequence\" : 1"))
        #expect(good.stdout.contains("GOOD: signed by SHA256:"))
        let foreign = try Spooler()
        _ = try foreign.collect()
        let bad = try spooler.run("inspect", "--state", foreign.state, path)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("BAD: "))
    }

    @Test("keygen refuses to replace a key without --force; pubkey prints OpenSSH and allowed_signers lines", .timeLimit(.minutes(1)))
    func keys() throws {
        let spooler = try Spooler()
        #expect(try spooler.run("keygen", "--state", spooler.state).status == 0)
        let again = try spooler.run("keygen", "--state", spooler.state)
        #expect(again.status != 0)
        #expect(again.stderr.contains("--force"))
        #expect(try spooler.run("keygen", "--state", spooler.state, "--force").status == 0)
        let installation = try String(contentsOfFile: spooler.state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines)
        let key = try spooler.run("pubkey", "--state", spooler.state)
        #expect(key.stdout.hasPrefix("ssh-ed25519 AAAA"))
        let line = try spooler.run("pubkey", "--state", spooler.state, "--allowed-signers")
        #expect(
            line.stdout
                == "\(installation) namespaces=\"\(SpoolEntry.namespace),\(BatchManifest.namespace)\" \(key.stdout.split(separator: " ")[0]) \(key.stdout.split(separator: " ")[1])\n"
        )
    }

    @Test("a private key readable by others is refused with the file and the fix", .timeLimit(.minutes(1)))
    func openKeyRefused() throws {
        let spooler = try Spooler()
        _ = try spooler.collect()
        chmod(spooler.state + "/signing-key", 0o640)
        let result = try spooler.run("collect", "--state", spooler.state)
        #expect(result.status != 0)
        #expect(result.stderr.contains("chmod 600 \(spooler.state)/signing-key"))
    }

    @Test("a state directory inside the spool is refused before anything is written", .timeLimit(.minutes(1)))
    func stateInsideSpool() throws {
        let spooler = try Spooler()
        let result = try spooler.run("collect", "--state", "Spool/state")
        #expect(result.status == 2)
        #expect(result.stderr.contains("inside the spool directory"))
        #expect(!FileManager.default.fileExists(atPath: spooler.work.file("Spool/state")))
    }

    @Test("reporting = off or SPOOLER_REPORTING=off spools nothing and says so", .timeLimit(.minutes(1)))
    func optOut() throws {
        let spooler = try Spooler()
        let off = try spooler.run("collect", "--state", spooler.state, environment: ["SPOOLER_REPORTING": "off"])
        #expect(off.status == 0)
        #expect(off.stdout.contains("reporting is off"))
        #expect(!FileManager.default.fileExists(atPath: spooler.work.file("Spool")))
    }
}
