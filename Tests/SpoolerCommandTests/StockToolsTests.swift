import Foundation
import SpoolFormat
import TestSupport
import Testing

/// The auditor's promise: stock tools read and verify entries, exactly as the README shows.
@Suite("Stock tools accept spooled entries", .serialized)
struct StockToolsTests {
    @Test("gzip -t, zcat and ssh-keygen -Y verify accept every spooled entry", .timeLimit(.minutes(1)))
    func stockTools() throws {
        let spooler = try Spooler()
        let paths = try (0..<3).map { _ in try spooler.collect() }
        let signers = try spooler.run("pubkey", "--state", spooler.state, "--allowed-signers")
        try signers.stdout.write(toFile: spooler.work.file("allowed_signers"), atomically: true, encoding: .utf8)
        let installation = try String(contentsOfFile: spooler.state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines)

        for path in paths {
            #expect(try Command.run("gzip", ["-t", path], in: spooler.work.path).status == 0)
            let zcat = try Command.run("zcat", [path], in: spooler.work.path)
            #expect(zcat.status == 0)
            #expect(zcat.lines.count == 2)
            #expect(zcat.lines[0].hasPrefix("{\"bodyLength\":"))
            // As in the README: zcat ENTRY | ssh-keygen -Y verify -f allowed_signers -I ID -n NAMESPACE -s ENTRY.sig
            let verify = try Command.run(
                "ssh-keygen", ["-Y", "verify", "-f", "allowed_signers", "-I", installation, "-n", SpoolEntry.namespace, "-s", path + ".sig"],
                in: spooler.work.path, input: Data(zcat.stdout.utf8))
            #expect(verify.status == 0, "ssh-keygen: \(verify.stdout) \(verify.stderr)")
            #expect(verify.stdout.contains("Good \"\(SpoolEntry.namespace)\" signature for \(installation)"))
        }

        // And it refuses a changed body.
        let zcat = try Command.run("zcat", [paths[0]], in: spooler.work.path)
        let changed = zcat.stdout.replacingOccurrences(of: "\"schema\":1", with: "\"schema\":2")
        #expect(changed != zcat.stdout)
        let refused = try Command.run(
            "ssh-keygen", ["-Y", "verify", "-f", "allowed_signers", "-I", installation, "-n", SpoolEntry.namespace, "-s", paths[0] + ".sig"],
            in: spooler.work.path, input: Data(changed.utf8))
        #expect(refused.status != 0)
    }

    @Test(
        "an allowed_signers file with CRLF line ends is accepted by ssh-keygen and spooler verify alike; a stray CR is refused by line",
        .timeLimit(.minutes(1)))
    func allowedSignersCRLF() throws {
        let spooler = try Spooler()
        let path = try spooler.collect()
        let signers = try spooler.run("pubkey", "--state", spooler.state, "--allowed-signers").stdout.trimmingCharacters(in: .newlines)
        let installation = try String(contentsOfFile: spooler.state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines)
        try "# signers of this site\r\n\r\n\(signers)\r\n".write(toFile: spooler.work.file("crlf_signers"), atomically: true, encoding: .utf8)
        let zcat = try Command.run("zcat", [path], in: spooler.work.path)
        let stock = try Command.run(
            "ssh-keygen", ["-Y", "verify", "-f", "crlf_signers", "-I", installation, "-n", SpoolEntry.namespace, "-s", path + ".sig"],
            in: spooler.work.path, input: Data(zcat.stdout.utf8))
        #expect(stock.status == 0, "ssh-keygen: \(stock.stderr)")
        let ours = try spooler.run("verify", "--spool", spooler.work.file("Spool"), "--allowed-signers", "crlf_signers")
        #expect(ours.status == 0, "\(ours.stdout) \(ours.stderr)")
        #expect(ours.lines.last?.hasPrefix("verified 1 entr") == true)
        // The same file with a byte-order mark (as some Windows editors save it) is read alike.
        try Data([0xEF, 0xBB, 0xBF] + Array("# signers\r\n\(signers)\r\n".utf8)).write(to: URL(fileURLWithPath: spooler.work.file("bom_signers")))
        #expect(try spooler.run("verify", "--spool", spooler.work.file("Spool"), "--allowed-signers", "bom_signers").status == 0)
        // Classic Mac line ends would hide the key line inside the comment: refused, naming file and line.
        try "# signers of this site\r\(signers)\n".write(toFile: spooler.work.file("cr_signers"), atomically: true, encoding: .utf8)
        let refused = try spooler.run("verify", "--spool", spooler.work.file("Spool"), "--allowed-signers", "cr_signers")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("cr_signers:1: the file holds a carriage return (CR) that does not end a line"), "\(refused.stderr)")
    }

    @Test("the committed test vector verifies with ssh-keygen", .timeLimit(.minutes(1)))
    func vectorWithSSHKeygen() throws {
        let vectors = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("SpoolFormatTests/Vectors")
            .path
        let zcat = try Command.run("zcat", ["entry.json.gz"], in: vectors)
        let verify = try Command.run(
            "ssh-keygen",
            ["-Y", "verify", "-f", "allowed_signers", "-I", "b58572c3-faca-420c-8df7-178ea2d410b2", "-n", SpoolEntry.namespace, "-s", "entry.json.gz.sig"],
            in: vectors, input: Data(zcat.stdout.utf8))
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test(
        "an entry signed by ssh-keygen -Y sign -O hashalg=sha256 is accepted; ssh-keygen's default hash (sha512) is refused",
        .timeLimit(.minutes(1)))
    func signedBySSHKeygen() throws {
        let temp = try TemporaryDirectory()
        #expect(try Command.run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", "key"], in: temp.path).status == 0)
        let publicLine = try String(contentsOfFile: temp.file("key.pub"), encoding: .utf8).trimmingCharacters(in: .newlines)
        let publicKey = try SSHPublicKey(openSSHLine: publicLine)
        let installation = UUID().uuidString.lowercased()
        let body = Array(#"{"metrics":{"users":1},"schema":1}"#.utf8) + [0x0a]
        let metadata = EntryMetadata(
            kind: .report, installation: installation, sequence: 1, created: Date(), productVersion: "1.0.0", schema: 1,
            previous: .genesis, key: publicKey.fingerprint, request: ReplayRequest(), body: body)
        let line = try metadata.encodedLine()
        try Data(line + [0x0a] + body).write(to: URL(fileURLWithPath: temp.file("message")))
        try "\(installation) namespaces=\"\(SpoolEntry.namespace)\" \(publicLine)\n".write(
            toFile: temp.file("allowed_signers"), atomically: true, encoding: .utf8)
        let name = EntryName(installation: installation, sequence: 1)

        for (options, accepted) in [(["-O", "hashalg=sha256"], true), ([], false)] {
            try? FileManager.default.removeItem(atPath: temp.file("message.sig"))
            try? FileManager.default.removeItem(atPath: temp.file("spool"))
            let sign = try Command.run("ssh-keygen", ["-Y", "sign", "-f", "key", "-n", SpoolEntry.namespace] + options + ["message"], in: temp.path)
            #expect(sign.status == 0, "ssh-keygen: \(sign.stderr)")
            try FileManager.default.createDirectory(atPath: temp.file("spool"), withIntermediateDirectories: false)
            try Data(try Gzip.compressMember(line + [0x0a]) + Gzip.compressMember(body)).write(to: URL(fileURLWithPath: temp.file("spool/" + name.entryFile)))
            try FileManager.default.copyItem(atPath: temp.file("message.sig"), toPath: temp.file("spool/" + name.signatureFile))
            let verify = try Command.run(Command.product("spooler"), ["verify", "--spool", "spool", "--allowed-signers", "allowed_signers"], in: temp.path)
            if accepted {
                #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
            } else {
                #expect(verify.status == 1)
                #expect(
                    verify.stdout.contains("\(name.signatureFile): unsupported signature: hash algorithm 'sha512' [signature_malformed]"), "\(verify.stdout)")
            }
        }
    }
}
