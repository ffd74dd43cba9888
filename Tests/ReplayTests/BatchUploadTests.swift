import Foundation
import ReceiverServer
import ReplayClient
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

/// A spooling host run with the real `spooler` (collect, export to media), and the connected
/// side's ledger, with the real `uploader`.
struct BatchSite {
    let work: TemporaryDirectory
    var state: String { work.file("state") }
    var ledger: String { work.file("connected/ledger.sqlite") }

    init() throws {
        work = try TemporaryDirectory("batches")
        try FileManager.default.createDirectory(atPath: work.file("media"), withIntermediateDirectories: true)
    }

    var installation: String {
        get throws { try String(contentsOfFile: state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines) }
    }

    @discardableResult
    func spooler(_ arguments: String...) throws -> Command.Result {
        let result = try Command.run(Command.product("spooler"), arguments, in: work.path)
        #expect(result.status == 0, "spooler \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    func collect(_ count: Int) throws {
        for _ in 0..<count { try spooler("collect", "--state", state) }
    }

    /// `spooler export --to media ARGS`; the batch folder it made.
    func export(_ arguments: String...) throws -> String {
        let result = try Command.run(Command.product("spooler"), ["export", "--state", state, "--to", "media"] + arguments, in: work.path)
        #expect(result.status == 0, "\(result.stderr)")
        return work.file(try #require(result.lines.last { $0.hasPrefix("media/") }))
    }

    func uploader(_ arguments: [String]) throws -> Command.Result {
        try Command.run(Command.product("uploader"), arguments + ["--ledger", ledger], in: work.path)
    }

    func status() throws -> LedgerStatus {
        let result = try uploader(["status", "--json"])
        return try JSONDecoder().decode(LedgerStatus.self, from: Data(result.stdout.utf8))
    }

    func entryName(_ sequence: UInt64) throws -> String { EntryName(installation: try installation, sequence: sequence).entryFile }
}

@Suite("uploader with batch folders", .serialized)
struct BatchUploadTests {
    @Test(
        "a later batch after a hole in the ledger fails verify with sequence_gap_ledger naming the missing entry; upload sends it and reports the gap",
        .timeLimit(.minutes(1)))
    func gapAgainstLedger() async throws {
        let site = try BatchSite()
        let receiver = try await ReceiverProcess(in: site.work)
        try site.collect(3)
        let first = try site.export()
        let verifyFirst = try site.uploader(["verify", first])
        #expect(verifyFirst.status == 0, "\(verifyFirst.stdout)")
        #expect(verifyFirst.stdout.contains("verified 3 entries in 1 installation(s) (\(try site.installation) 1...3): no problems"), "\(verifyFirst.stdout)")
        let upload = try site.uploader(["upload", first, "--endpoint", receiver.url])
        #expect(upload.status == 0, "\(upload.stdout)\(upload.stderr)")

        try site.collect(3)
        let later = try site.export("--from", "5")
        let verify = try site.uploader(["verify", later])
        #expect(verify.status == 1, "\(verify.stdout)")
        #expect(
            verify.stdout.contains(
                "\(try site.entryName(5)): entry 4 of installation \(try site.installation) is missing: the ledger holds its entries up to 3"),
            "\(verify.stdout)")
        #expect(verify.stdout.contains("[sequence_gap_ledger]"))
        let json = try site.uploader(["verify", "--json", later])
        #expect(json.status == 1)
        #expect(json.stdout.contains("\"code\" : \"sequence_gap_ledger\""), "\(json.stdout)")

        // The entries after the gap are genuine: sent, and the gap reported with exit 1.
        let sent = try site.uploader(["upload", later, "--endpoint", receiver.url])
        #expect(sent.status == 1, "\(sent.stdout)\(sent.stderr)")
        #expect(sent.stderr.contains("[sequence_gap_ledger]"), "\(sent.stderr)")
        #expect(sent.stdout.contains("2 entries: 2 delivered"), "\(sent.stdout)")
        #expect(try await receiver.reports().map(\.sequence).sorted() == [1, 2, 3, 5, 6])

        // The missing batch closes the gap: the folder holding all three verifies and uploads clean.
        _ = try site.export("--from", "4")
        let all = try site.uploader(["upload", site.work.file("media"), "--endpoint", receiver.url])
        #expect(all.status == 0, "\(all.stdout)\(all.stderr)")
        #expect(try await receiver.reports().map(\.sequence).sorted() == [1, 2, 3, 4, 5, 6])
        #expect(try site.uploader(["verify", site.work.file("media")]).status == 0)
        await receiver.stop()
    }

    @Test("a batch whose last entries were left behind fails uploader verify", .timeLimit(.minutes(1)))
    func choppedTail() throws {
        let site = try BatchSite()
        try site.collect(4)
        let batch = try site.export()
        for suffix in ["", ".sig"] { try FileManager.default.removeItem(atPath: batch + "/" + (try site.entryName(4)) + suffix) }
        let verify = try site.uploader(["verify", batch])
        #expect(verify.status == 1, "\(verify.stdout)")
        #expect(verify.stdout.contains("\(try site.entryName(4)): is listed in the manifest but missing from the batch [file_missing]"), "\(verify.stdout)")
        // Also when the batch is one of a folder of batches.
        let folder = try site.uploader(["verify", "--json", site.work.file("media")])
        #expect(folder.status == 1)
        #expect(folder.stdout.contains("\"code\" : \"file_missing\""), "\(folder.stdout)")
    }

    @Test(
        "a second entry at a sequence the ledger holds (state restored from a backup) is a fork: quarantined, never sent, reported",
        .timeLimit(.minutes(1)))
    func forkAgainstLedger() async throws {
        let site = try BatchSite()
        let receiver = try await ReceiverProcess(in: site.work)
        try site.collect(3)
        // The backup: state directory and spool as they were after entry 3.
        for name in ["state", "Spool"] { try FileManager.default.copyItem(atPath: site.work.file(name), toPath: site.work.file("backup-" + name)) }
        try site.collect(1)
        let original = try site.export()
        #expect(try site.uploader(["upload", original, "--endpoint", receiver.url]).status == 0)

        for name in ["state", "Spool"] {
            try FileManager.default.removeItem(atPath: site.work.file(name))
            try FileManager.default.moveItem(atPath: site.work.file("backup-" + name), toPath: site.work.file(name))
        }
        // A later second: the new entry 4 differs from the first (its creation time at least).
        try await Task.sleep(for: .milliseconds(1100))
        try site.collect(1)
        let forked = try site.export("--from", "4")
        let verify = try site.uploader(["verify", forked])
        #expect(verify.status == 1, "\(verify.stdout)")
        #expect(verify.stdout.contains("\(try site.entryName(4)): has digest"), "\(verify.stdout)")
        #expect(verify.stdout.contains("but the ledger already holds entry 4 of installation \(try site.installation) with digest"), "\(verify.stdout)")
        #expect(verify.stdout.contains("[sequence_fork]"))
        #expect(verify.stdout.contains("1 entry would be quarantined"), "\(verify.stdout)")

        let upload = try site.uploader(["upload", forked, "--endpoint", receiver.url])
        #expect(upload.status == 1, "\(upload.stdout)")
        #expect(upload.stderr.contains("[sequence_fork]"), "\(upload.stderr)")
        #expect(upload.stdout.contains("1 quarantined"), "\(upload.stdout)")
        #expect(try await receiver.reports().count == 4)
        #expect(try await receiver.summary().requests.total == 4, "the fork was sent")
        #expect(try site.status().counts["quarantined"] == 1)
        await receiver.stop()
    }

    @Test(
        "uploader trust pins an allowed_signers file's keys; a contradicting key is refused unless --replace; --list shows how",
        .timeLimit(.minutes(1)))
    func trustImport() throws {
        let site = try BatchSite()
        try site.collect(2)
        let batch = try site.export()
        let installation = try site.installation

        // Another installation's key, claimed for this one: what a forged allowed_signers says.
        let other = try BatchSite()
        try other.collect(1)
        let otherBatch = try other.export()
        let otherLine = try String(contentsOfFile: otherBatch + "/allowed_signers", encoding: .utf8)
        let forged = site.work.file("forged_signers")
        try otherLine.replacingOccurrences(of: try other.installation, with: installation).write(toFile: forged, atomically: true, encoding: .utf8)

        // Pinned ahead of first use, the forged key makes the genuine batch untrusted, without --allowed-signers.
        let imported = try site.uploader(["trust", forged])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.hasPrefix("pinned    \(installation)  SHA256:"), "\(imported.stdout)")
        let refused = try site.uploader(["verify", batch])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("[manifest_untrusted_key]"), "\(refused.stdout)")

        // The genuine key contradicts the pin: refused, naming the installation and both fingerprints.
        let conflict = try site.uploader(["trust", batch + "/allowed_signers"])
        #expect(conflict.status == 1)
        let pins = try JSONSerialization.jsonObject(with: Data(try site.uploader(["trust", "--list", "--json"]).stdout.utf8)) as? [[String: String]]
        let pinned = try #require(pins?.first?["fingerprint"])
        #expect(pins?.first?["origin"] == "imported")
        #expect(conflict.stderr.contains("installation \(installation) is pinned to \(pinned) (imported, since"), "\(conflict.stderr)")
        #expect(conflict.stderr.contains("--replace"))
        #expect(try site.uploader(["verify", batch]).status == 1, "a refused import changed the pins")

        let replaced = try site.uploader(["trust", "--replace", batch + "/allowed_signers"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(replaced.stdout.contains("replaced  \(installation)"), "\(replaced.stdout)")
        #expect(replaced.stdout.contains("(was \(pinned))"))
        let verify = try site.uploader(["verify", batch])
        #expect(verify.status == 0, "\(verify.stdout)")
        let list = try site.uploader(["trust", "--list"])
        #expect(list.status == 0)
        #expect(list.lines.count == 1)
        #expect(list.stdout.hasPrefix("\(installation)  SHA256:"))
        #expect(list.stdout.contains("  since 20"))
        #expect(list.stdout.hasSuffix("  imported\n"), "\(list.stdout)")

        // A file whose principal is a pattern cannot be pinned: clear error naming the file.
        let pattern = site.work.file("pattern_signers")
        try otherLine.replacingOccurrences(of: try other.installation, with: "*").write(toFile: pattern, atomically: true, encoding: .utf8)
        let bad = try site.uploader(["trust", pattern])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("\(pattern): principal '*' is not an installation ID"), "\(bad.stderr)")
    }

    @Test("a key pinned on first use is listed as such", .timeLimit(.minutes(1)))
    func listFirstUse() throws {
        let site = try BatchSite()
        #expect(try site.uploader(["trust", "--list"]).stdout == "no keys pinned in \(site.ledger)\n")
        try site.collect(1)
        let batch = try site.export()
        let receiverless = try site.uploader(["upload", batch, "--endpoint", "http://127.0.0.1:9", "--max-wait", "0", "--max-attempts", "1"])
        #expect(receiverless.status != 2, "\(receiverless.stderr)")
        let list = try site.uploader(["trust", "--list"])
        #expect(list.stdout.hasPrefix("\(try site.installation)  SHA256:"), "\(list.stdout)")
        #expect(list.stdout.hasSuffix("  first use\n"), "\(list.stdout)")
    }
}
