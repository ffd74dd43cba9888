import Foundation
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

/// A spooler with entries, and the media to export them to.
struct ExportSite {
    let spooler: Spooler
    var media: String { spooler.work.file("media") }
    let installation: String

    init(entries: Int) throws {
        spooler = try Spooler()
        for _ in 0..<entries { _ = try spooler.collect() }
        try FileManager.default.createDirectory(atPath: spooler.work.file("media"), withIntermediateDirectories: true)
        installation = try String(contentsOfFile: spooler.state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines)
    }

    /// Runs `spooler export --to media ARGS`; returns the result and the batch folder it printed.
    func export(_ arguments: String...) throws -> (result: Command.Result, batch: String?) {
        let result = try Command.run(Command.product("spooler"), ["export", "--state", spooler.state, "--to", "media"] + arguments, in: spooler.work.path)
        let batch = result.status == 0 ? result.lines.last.flatMap { $0.hasPrefix("media/") ? spooler.work.file($0) : nil } : nil
        return (result, batch)
    }

    func verifyBatch(_ folder: String) throws -> Command.Result {
        try spooler.run("verify", "--state", spooler.state, "--batch", folder)
    }

    func manifest(_ batch: String) throws -> BatchManifest {
        try BatchManifest.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: batch + "/MANIFEST"))))
    }

    /// SHA-256 of every file in the spool, by name: export must leave it exactly as it was.
    func spoolDigests() throws -> [String: EntryDigest] {
        let spool = spooler.work.file("Spool")
        var digests: [String: EntryDigest] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: spool) {
            digests[name] = EntryDigest.of(message: [UInt8](try Data(contentsOf: URL(fileURLWithPath: spool + "/" + name))))
        }
        return digests
    }
}

@Suite("spooler export", .serialized)
struct ExportTests {
    @Test("an exported batch passes sha256sum -c and ssh-keygen -Y verify, as the README shows, and the spool is unchanged", .timeLimit(.minutes(1)))
    func stockToolsAcceptBatch() throws {
        let site = try ExportSite(entries: 3)
        let before = try site.spoolDigests()
        let (result, batch) = try site.export()
        #expect(result.status == 0, "\(result.stderr)")
        let folder = try #require(batch)
        #expect(result.stdout.contains("exported 3 entries (1...3) of installation \(site.installation)"))
        #expect((folder as NSString).lastPathComponent.hasPrefix("\(site.installation)-0000000001-0000000003-"))

        let sums = try Command.run("sha256sum", ["-c", "MANIFEST"], in: folder)
        #expect(sums.status == 0, "\(sums.stdout) \(sums.stderr)")
        #expect(sums.lines.count == 7)
        #expect(sums.stderr.isEmpty, "sha256sum warns: \(sums.stderr)")
        let manifest = try Command.run(
            "ssh-keygen", ["-Y", "verify", "-f", "allowed_signers", "-I", site.installation, "-n", BatchManifest.namespace, "-s", "MANIFEST.sig"],
            in: folder, input: try Data(contentsOf: URL(fileURLWithPath: folder + "/MANIFEST")))
        #expect(manifest.status == 0, "\(manifest.stderr)")
        #expect(manifest.stdout.contains("Good \"\(BatchManifest.namespace)\" signature for \(site.installation)"))
        // The batch's allowed_signers also verifies the entries with stock tools.
        let entry = "\(site.installation)-0000000002.json.gz"
        let zcat = try Command.run("zcat", [entry], in: folder)
        let entryCheck = try Command.run(
            "ssh-keygen", ["-Y", "verify", "-f", "allowed_signers", "-I", site.installation, "-n", SpoolEntry.namespace, "-s", entry + ".sig"],
            in: folder, input: Data(zcat.stdout.utf8))
        #expect(entryCheck.status == 0, "\(entryCheck.stderr)")

        let verify = try site.verifyBatch(folder)
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("entries 1...3 of installation \(site.installation)"))
        #expect(try site.spoolDigests() == before)
        // The spool verifies as before: export removed nothing.
        #expect(try site.spooler.run("verify", "--state", site.spooler.state).status == 0)
    }

    @Test("--since-last (the default) exports what is new, says so when nothing is; --all and --from re-export", .timeLimit(.minutes(1)))
    func selections() throws {
        let site = try ExportSite(entries: 2)
        let first = try #require(try site.export().batch)
        #expect(try (site.manifest(first).first, site.manifest(first).last) == (1, 2))

        let nothing = try site.export()
        #expect(nothing.result.status == 0)
        #expect(nothing.result.stdout.contains("nothing to export: entries up to 2 were exported in batch \((first as NSString).lastPathComponent)"))
        #expect(nothing.batch == nil)

        _ = try site.spooler.collect()
        _ = try site.spooler.collect()
        let next = try #require(try site.export("--since-last").batch)
        let nextManifest = try site.manifest(next)
        #expect((nextManifest.first, nextManifest.last) == (3, 4))
        // The batch links to the one before it: the chain continues across batches.
        #expect(nextManifest.previous == (try site.manifest(first)).head)

        let all = try #require(try site.export("--all").batch)
        #expect(try (site.manifest(all).first, site.manifest(all).last) == (1, 4))
        // The same range as `next`, most likely within the same second: a numbered name, never a clash.
        let from = try #require(try site.export("--from", "3").batch)
        #expect(from != next)
        #expect(try (site.manifest(from).first, site.manifest(from).last) == (3, 4))
        #expect(try site.manifest(from).previous == (try site.manifest(first)).head)

        let missing = try site.export("--from", "9")
        #expect(missing.result.status == 1)
        #expect(missing.result.stderr.contains("entry 9 is not in the spool (it holds entries 1...4)"))
        #expect(try site.export("--all", "--from", "2").result.status == 2)
        // Every batch on the media verifies.
        let verify = try site.verifyBatch(site.media)
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.lines.filter { $0.hasPrefix("verified batch") }.count == 4)
    }

    @Test("a damaged spool entry stops the export before anything is written, naming the file", .timeLimit(.minutes(1)))
    func damagedSpool() throws {
        let site = try ExportSite(entries: 3)
        let entry = site.spooler.work.file("Spool/\(site.installation)-0000000002.json.gz.sig")
        var text = try String(contentsOfFile: entry, encoding: .utf8)
        text = text.replacingOccurrences(of: "-----END", with: "x-----END")
        try text.write(toFile: entry, atomically: true, encoding: .utf8)
        let result = try site.export()
        #expect(result.result.status == 1)
        #expect(result.result.stderr.contains("Spool/\(site.installation)-0000000002.json.gz: "))
        #expect(result.result.stderr.contains("Nothing was exported"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.media).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: site.spooler.state + "/export-state.json"))
    }

    @Test("reporting off: export refuses, says so, exits 1 and writes nothing", .timeLimit(.minutes(1)))
    func reportingOff() throws {
        let site = try ExportSite(entries: 1)
        let result = try Command.run(
            Command.product("spooler"), ["export", "--state", site.spooler.state, "--to", "media"],
            in: site.spooler.work.path, environment: ["SPOOLER_REPORTING": "off"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("reporting is off (SPOOLER_REPORTING=off)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.media).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: site.spooler.state + "/export-state.json"))
    }

    @Test("full media: a clear error naming the folder, no batch left, nothing recorded, the spool unchanged", .timeLimit(.minutes(1)))
    func mediaFull() throws {
        let site = try ExportSite(entries: 3)
        let before = try site.spoolDigests()
        // A 12 KiB tmpfs, mounted in a private user and mount namespace, is media that fills up.
        let script = "mount -t tmpfs -o size=12k none media && exec '\(Command.product("spooler"))' export --state '\(site.spooler.state)' --to media"
        let result = try Command.run("unshare", ["-rm", "sh", "-c", script], in: site.spooler.work.path)
        // Never skipped: a machine that cannot mount a small tmpfs in a mount namespace fails here.
        try #require(!result.stderr.contains("unshare:") && !result.stderr.contains("mount:"), "cannot mount a tmpfs: \(result.stderr)")
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot write the batch to media: media/.tmp-"))
        #expect(result.stderr.contains("No space left on device"))
        #expect(result.stderr.contains("nothing was recorded"))
        #expect(!FileManager.default.fileExists(atPath: site.spooler.state + "/export-state.json"))
        #expect(try site.spoolDigests() == before)
        // The next export, on roomy media, exports everything.
        #expect(try site.export().result.stdout.contains("exported 3 entries (1...3)"))
    }
}

/// Each way a batch can be damaged on the way out, and the problem verification names.
@Suite("Tampered batches are refused", .serialized)
struct TamperedBatchTests {
    enum Tamper: String, CaseIterable, Sendable {
        case missingFile, extraFile, alteredFile, choppedTail, beyondHead, otherKey, manifestEdited, incomplete
    }

    @Test("spooler verify --batch refuses a tampered batch, naming the file and the problem", .timeLimit(.minutes(1)), arguments: Tamper.allCases)
    func tampered(_ tamper: Tamper) throws {
        let site = try ExportSite(entries: 3)
        let batch = try #require(try site.export().batch)
        let name = { (sequence: Int) in "\(site.installation)-\(String(format: "%010d", sequence)).json.gz" }
        func path(_ file: String) -> String { batch + "/" + file }
        var expected: (code: String, file: String)
        switch tamper {
        case .missingFile:
            try FileManager.default.removeItem(atPath: path(name(2)))
            expected = ("file_missing", name(2))
        case .extraFile:
            try "hello".write(toFile: path("notes.txt"), atomically: true, encoding: .utf8)
            expected = ("extra_file", "notes.txt")
        case .alteredFile:
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path(name(1))))
            try handle.seek(toOffset: 20)
            try handle.write(contentsOf: Data([0x42]))
            try handle.close()
            expected = ("digest_mismatch", name(1))
        case .choppedTail:
            try FileManager.default.removeItem(atPath: path(name(3)))
            try FileManager.default.removeItem(atPath: path(name(3) + ".sig"))
            expected = ("file_missing", name(3))
        case .beyondHead:
            _ = try site.spooler.collect()
            try FileManager.default.copyItem(atPath: site.spooler.work.file("Spool/" + name(4)), toPath: path(name(4)))
            try FileManager.default.copyItem(atPath: site.spooler.work.file("Spool/" + name(4) + ".sig"), toPath: path(name(4) + ".sig"))
            expected = ("beyond_head", name(4))
        case .otherKey:
            // Signed with stock ssh-keygen by a key that is not the installation's, and the
            // batch's allowed_signers swapped for that key.
            let key = site.spooler.work.file("other_key")
            #expect(try Command.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]).status == 0)
            try FileManager.default.removeItem(atPath: path("MANIFEST.sig"))
            #expect(
                try Command.run("ssh-keygen", ["-Y", "sign", "-f", key, "-O", "hashalg=sha256", "-n", BatchManifest.namespace, "MANIFEST"], in: batch).status
                    == 0)
            let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
            try "\(site.installation) namespaces=\"\(SpoolEntry.namespace),\(BatchManifest.namespace)\" \(pub)\n".write(
                toFile: path("allowed_signers"), atomically: true, encoding: .utf8)
            expected = ("manifest_untrusted_key", "MANIFEST.sig")
        case .manifestEdited:
            // A chopped tail with the manifest edited to match: the signature no longer does.
            try FileManager.default.removeItem(atPath: path(name(3)))
            try FileManager.default.removeItem(atPath: path(name(3) + ".sig"))
            let text = try String(contentsOfFile: path("MANIFEST"), encoding: .utf8)
            let edited =
                text.split(separator: "\n").filter { !$0.contains(name(3)) }.map { $0 == "# last: 3" ? "# last: 2" : String($0) }.joined(separator: "\n") + "\n"
            try edited.write(toFile: path("MANIFEST"), atomically: true, encoding: .utf8)
            expected = ("manifest_signature_invalid", "MANIFEST.sig")
        case .incomplete:
            try FileManager.default.removeItem(atPath: path("MANIFEST.sig"))
            expected = ("batch_incomplete", "MANIFEST.sig")
        }
        let result = try site.spooler.run("verify", "--state", site.spooler.state, "--batch", batch, "--json")
        #expect(result.status == 1)
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let problems = (reports.first?["problems"] as? [[String: Any]] ?? []).map { ($0["code"] as? String ?? "", $0["file"] as? String ?? "") }
        #expect(problems.contains { $0 == expected }, "\(tamper): \(problems)")
        // The stock check agrees wherever a file listed in the manifest changed or went missing.
        if [.missingFile, .alteredFile, .choppedTail].contains(tamper) {
            #expect(try Command.run("sha256sum", ["-c", "--quiet", "MANIFEST"], in: batch).status != 0)
        }
        if [.otherKey, .manifestEdited].contains(tamper) {
            let signers = site.spooler.work.file("site_signers")
            try site.spooler.run("pubkey", "--state", site.spooler.state, "--allowed-signers").stdout.write(toFile: signers, atomically: true, encoding: .utf8)
            let stock = try Command.run(
                "ssh-keygen", ["-Y", "verify", "-f", signers, "-I", site.installation, "-n", BatchManifest.namespace, "-s", "MANIFEST.sig"],
                in: batch, input: try Data(contentsOf: URL(fileURLWithPath: path("MANIFEST"))))
            #expect(stock.status != 0)
        }
    }
}
