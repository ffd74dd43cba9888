import Crypto
import Foundation
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

/// The signing key is an OpenSSH private key: stock ssh-keygen reads it and signs with it exactly
/// as the spooler does, and a site can bring its own.
@Suite("Signing keys in OpenSSH's format", .serialized)
struct OpenSSHKeyTests {
    /// Runs `ssh-keygen` in `directory`; fails the test unless it succeeds.
    @discardableResult
    static func sshKeygen(_ arguments: [String], in directory: String, input: Data? = nil) throws -> Command.Result {
        let result = try Command.run("ssh-keygen", arguments, in: directory, input: input)
        #expect(result.status == 0, "ssh-keygen \(arguments): \(result.stderr)")
        return result
    }

    /// What `ssh-keygen -Y sign -f KEY -n NAMESPACE -O hashalg=sha256` writes for `message`.
    static func stockSignature(key: String, namespace: String, message: Data, in directory: String) throws -> String {
        let file = directory + "/message-\(UUID().uuidString)"
        try message.write(to: URL(fileURLWithPath: file))
        try sshKeygen(["-Y", "sign", "-f", key, "-n", namespace, "-O", "hashalg=sha256", file], in: directory)
        return try String(contentsOfFile: file + ".sig", encoding: .utf8)
    }

    /// Rewrites the private key at `path` as earlier versions wrote it (three lines, the seed in
    /// base64), mode 0600; returns the seed.
    @discardableResult
    static func rewriteInEarlierFormat(_ path: String) throws -> Data {
        let seed = try OpenSSHPrivateKey(armored: try String(contentsOfFile: path, encoding: .utf8)).key.rawRepresentation
        try FileManager.default.removeItem(atPath: path)
        let legacy = "-----BEGIN TELEMETRY SPOOL ED25519 KEY-----\n\(seed.base64EncodedString())\n-----END TELEMETRY SPOOL ED25519 KEY-----\n"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(legacy.utf8), attributes: [.posixPermissions: 0o600]))
        return seed
    }

    @Test(
        "ssh-keygen -y prints the state directory's public key, and ssh-keygen -Y sign gives the spooler's .sig byte for byte, for an entry and a manifest",
        .timeLimit(.minutes(2)))
    func stockToolsUseTheKey() throws {
        let site = try ExportSite(entries: 2)
        let spooler = site.spooler
        let key = spooler.state + "/signing-key"
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: key, encoding: .utf8).hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))

        // ssh-keygen -y prints the key's comment too: the installation ID, as in signing-key.pub.
        let derived = try Self.sshKeygen(["-y", "-f", key], in: spooler.work.path).stdout
        let stored = try String(contentsOfFile: spooler.state + "/signing-key.pub", encoding: .utf8)
        #expect(derived == stored)
        #expect(stored.hasSuffix(" \(site.installation)\n"))

        // An entry: its signed message is what zcat prints.
        let entry = spooler.work.file("Spool/\(site.installation)-0000000002.json.gz")
        let message = Data(try Command.run("zcat", [entry], in: spooler.work.path).stdout.utf8)
        let stock = try Self.stockSignature(key: key, namespace: SpoolEntry.namespace, message: message, in: spooler.work.path)
        #expect(stock == (try String(contentsOfFile: entry + ".sig", encoding: .utf8)))

        // A batch manifest.
        let batch = try #require(try site.export().batch)
        let manifest = try Data(contentsOf: URL(fileURLWithPath: batch + "/MANIFEST"))
        let stockManifest = try Self.stockSignature(key: key, namespace: BatchManifest.namespace, message: manifest, in: spooler.work.path)
        #expect(stockManifest == (try String(contentsOfFile: batch + "/MANIFEST.sig", encoding: .utf8)))
    }

    @Test(
        "keygen --import takes a key made by ssh-keygen: the spooler signs with it, the installation ID is kept, replacing needs --force",
        .timeLimit(.minutes(2)))
    func importStockKey() throws {
        let spooler = try Spooler()
        try Self.sshKeygen(["-q", "-t", "ed25519", "-N", "", "-C", "site key", "-f", "site-key"], in: spooler.work.path)
        let sitePublic = try String(contentsOfFile: spooler.work.file("site-key.pub"), encoding: .utf8).split(separator: " ")[1]

        let imported = try spooler.run("keygen", "--state", spooler.state, "--import", "site-key")
        #expect(imported.status == 0, "\(imported.stderr)")
        let installation = try String(contentsOfFile: spooler.state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(imported.stdout.contains("installation \(installation)"))
        #expect(try String(contentsOfFile: spooler.state + "/signing-key.pub", encoding: .utf8) == "ssh-ed25519 \(sitePublic) \(installation)\n")

        // Entries are signed by the site's key: its own allowed_signers line verifies them with ssh-keygen.
        let entry = try spooler.collect()
        try "\(installation) ssh-ed25519 \(sitePublic)\n".write(toFile: spooler.work.file("site_signers"), atomically: true, encoding: .utf8)
        let zcat = try Command.run("zcat", [entry], in: spooler.work.path)
        try Self.sshKeygen(
            ["-Y", "verify", "-f", "site_signers", "-I", installation, "-n", SpoolEntry.namespace, "-s", entry + ".sig"], in: spooler.work.path,
            input: Data(zcat.stdout.utf8))

        // A second import is refused without --force, and nothing changes.
        try Self.sshKeygen(["-q", "-t", "ed25519", "-N", "", "-f", "other-key"], in: spooler.work.path)
        let refused = try spooler.run("keygen", "--state", spooler.state, "--import", "other-key")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("a signing key already exists at \(spooler.state)/signing-key. Use --force"), "\(refused.stderr)")
        #expect(try String(contentsOfFile: spooler.state + "/signing-key.pub", encoding: .utf8).contains(String(sitePublic)))
        // With --force the key is replaced and the installation ID and chain kept.
        let forced = try spooler.run("keygen", "--state", spooler.state, "--import", "other-key", "--force")
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("installation \(installation)"))
        #expect(try spooler.collect().hasSuffix("\(installation)-0000000002.json.gz"))
    }

    @Test(
        "keygen --import refuses, naming the file and why: encrypted, RSA, ECDSA, public, too open, damaged keys; the state directory stays empty",
        .timeLimit(.minutes(1)))
    func importRefusesUnusableKeys() throws {
        let spooler = try Spooler()
        let work = spooler.work.path
        try Self.sshKeygen(["-q", "-t", "ed25519", "-N", "secret", "-f", "encrypted"], in: work)
        try Self.sshKeygen(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", "rsa"], in: work)
        try Self.sshKeygen(["-q", "-t", "ecdsa", "-N", "", "-f", "ecdsa"], in: work)
        try Self.sshKeygen(["-q", "-t", "ed25519", "-N", "", "-f", "good"], in: work)
        try FileManager.default.copyItem(atPath: spooler.work.file("good"), toPath: spooler.work.file("open"))
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: spooler.work.file("open"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: spooler.work.file("good.pub"))

        let cases: [(file: String, message: String)] = [
            ("encrypted", "encrypted: the key is encrypted (cipher aes256-ctr, KDF bcrypt)"),
            ("rsa", "rsa: an ssh-rsa key; only Ed25519 keys sign entries"),
            ("ecdsa", "ecdsa: an ecdsa-sha2-nistp256 key; only Ed25519 keys sign entries"),
            ("good.pub", "good.pub: a public key, not a private key"),
            ("open", "private key open is readable by group or others (mode 640); fix it with: chmod 600 open"),
            ("missing", "missing: no such file"),
        ]
        for (file, message) in cases {
            let result = try spooler.run("keygen", "--state", spooler.state, "--import", file)
            #expect(result.status == 1, "\(file)")
            #expect(result.stderr.contains(message), "\(file): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: spooler.state + "/signing-key"))
        }
    }

    /// Every way a key file can be damaged is refused with a reason, never read as some other key.
    @Test("the openssh-key-v1 reader refuses each malformed field with its reason", arguments: KeyDamage.allCases)
    func malformedKeys(damage: KeyDamage) throws {
        let text = damage.apply(to: OpenSSHPrivateKey(key: Curve25519.Signing.PrivateKey(), comment: "test").armored(checkInt: 0x0102_0304))
        let error = #expect(throws: SSHKeyError.self) { try OpenSSHPrivateKey(armored: text) }
        #expect(error?.description.contains(damage.reason) == true, "\(damage): \(error?.description ?? "no error")")
    }

    @Test("a key read back is the key written, with its comment; another tool's 64-column wrapping is read too")
    func roundTrip() throws {
        let key = Curve25519.Signing.PrivateKey()
        let text = OpenSSHPrivateKey(key: key, comment: "d0c1b2a3-0000-4000-8000-000000000000").armored()
        let read = try OpenSSHPrivateKey(armored: text)
        #expect(read.key.rawRepresentation == key.rawRepresentation)
        #expect(read.comment == "d0c1b2a3-0000-4000-8000-000000000000")
        let lines = text.split(separator: "\n")
        let body = lines.dropFirst().dropLast().joined()
        var rewrapped = [String(lines.first!)]
        var rest = Substring(body)
        while !rest.isEmpty {
            rewrapped.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        rewrapped.append(String(lines.last!))
        #expect(try OpenSSHPrivateKey(armored: rewrapped.joined(separator: "\r\n") + "\r\n").key.rawRepresentation == key.rawRepresentation)
    }

    @Test(
        "a state directory with a key in the earlier format keeps working: converted on first use (0600, same key), said once on stderr",
        .timeLimit(.minutes(1)))
    func earlierFormatConverted() throws {
        let spooler = try Spooler()
        let first = try spooler.collect()
        let keyFile = spooler.state + "/signing-key"
        let seed = try Self.rewriteInEarlierFormat(keyFile)

        let converted = try spooler.run("collect", "--state", spooler.state)
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(converted.stderr.contains("converted the private key \(keyFile) to OpenSSH's format (same key)"), "\(converted.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: keyFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try OpenSSHPrivateKey(armored: try String(contentsOfFile: keyFile, encoding: .utf8)).key.rawRepresentation == seed)
        try Self.sshKeygen(["-y", "-f", keyFile], in: spooler.work.path)

        // Said once: the next run finds the new format.
        let again = try spooler.run("collect", "--state", spooler.state)
        #expect(again.status == 0)
        #expect(!again.stderr.contains("converted"))
        // The chain went on with the same key: the whole spool verifies.
        #expect(first.hasSuffix("-0000000001.json.gz"))
        let verify = try spooler.run("verify", "--state", spooler.state)
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.lines.last?.hasPrefix("verified 3 entries") == true, "\(verify.stdout)")
    }

    @Test("the uploader's key is the same kind of file: an earlier one is converted once, and ssh-keygen -y reads it", .timeLimit(.minutes(1)))
    func uploaderKeyConverted() throws {
        let work = try TemporaryDirectory("uploader-key")
        let ledger = work.file("ledger.sqlite")
        let created = try Command.run(Command.product("uploader"), ["pubkey", "--ledger", ledger], in: work.path)
        #expect(created.status == 0, "\(created.stderr)")
        let keyFile = work.file("uploader-key")
        let derived = try Self.sshKeygen(["-y", "-f", keyFile], in: work.path).stdout
        #expect(derived == created.stdout)

        try Self.rewriteInEarlierFormat(keyFile)
        let converted = try Command.run(Command.product("uploader"), ["pubkey", "--ledger", ledger], in: work.path)
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(converted.stdout == created.stdout)
        #expect(converted.stderr.contains("converted the private key \(keyFile) to OpenSSH's format (same key)"), "\(converted.stderr)")
        #expect(try Self.sshKeygen(["-y", "-f", keyFile], in: work.path).stdout == derived)
        let again = try Command.run(Command.product("uploader"), ["pubkey", "--ledger", ledger], in: work.path)
        #expect(again.stderr.isEmpty, "\(again.stderr)")
    }

    @Test("a damaged key in the state directory stops collect with the file named; the spool is untouched", .timeLimit(.minutes(1)))
    func damagedStateKey() throws {
        let spooler = try Spooler()
        _ = try spooler.collect()
        let spool = try FileManager.default.contentsOfDirectory(atPath: spooler.work.file("Spool")).sorted()
        let keyFile = spooler.state + "/signing-key"
        var text = try String(contentsOfFile: keyFile, encoding: .utf8)
        text = text.replacingOccurrences(of: "-----END OPENSSH PRIVATE KEY-----", with: "")
        try FileManager.default.removeItem(atPath: keyFile)
        #expect(FileManager.default.createFile(atPath: keyFile, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]))
        let result = try spooler.run("collect", "--state", spooler.state)
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(keyFile): malformed key: no '-----END OPENSSH PRIVATE KEY-----' line"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spooler.work.file("Spool")).sorted() == spool)
    }
}

/// One way to damage an armored openssh-key-v1 file, and the reason the reader must give.
enum KeyDamage: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case magic, cipher, kdfOptions, twoKeys, checkInts, keyType, publicMismatch, padding, unaligned, truncated, trailing, base64

    var testDescription: String { rawValue }

    var reason: String {
        switch self {
        case .magic: return "missing the openssh-key-v1 magic"
        case .cipher: return "the key is encrypted (cipher aes256-ctr"
        case .kdfOptions: return "KDF options are set for KDF 'none'"
        case .unaligned: return "the private section's 143 bytes are not a multiple of 8"
        case .twoKeys: return "the file holds 2 keys, expected exactly 1"
        case .checkInts: return "the check-ints differ"
        case .keyType: return "an ssh-rsa-xyz key; only Ed25519 keys"
        case .publicMismatch: return "the public key does not match the private key"
        case .padding: return "the padding is not 1, 2, 3"
        case .truncated: return "the key is truncated"
        case .trailing: return "trailing bytes after the private section"
        case .base64: return "the key's base64 is not valid"
        }
    }

    func apply(to armored: String) -> String {
        let lines = armored.split(separator: "\n")
        var bytes = [UInt8](Data(base64Encoded: lines.dropFirst().dropLast().joined())!)
        /// Replaces the first occurrence of `old` by `new`.
        func replace(_ old: [UInt8], _ new: [UInt8]) {
            let start = (0...(bytes.count - old.count)).first { Array(bytes[$0..<$0 + old.count]) == old }!
            bytes.replaceSubrange(start..<start + old.count, with: new)
        }
        /// The private section's offset: after magic (15), "none" twice, "" , count, the public blob (4 + 51).
        let secret = 15 + 8 + 8 + 4 + 4 + 4 + 51 + 4
        switch self {
        case .magic: bytes[3] ^= 0x20
        case .cipher: replace([0, 0, 0, 4] + Array("none".utf8), [0, 0, 0, 10] + Array("aes256-ctr".utf8))
        case .kdfOptions: replace([0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 1, 0x41, 0, 0, 0, 1])
        case .unaligned:
            // Seven more bytes of padding (2…8) make it 143 bytes: the section's length says so.
            bytes.append(contentsOf: [2, 3, 4, 5, 6, 7, 8])
            bytes[secret - 1] += 7
        case .twoKeys: bytes[15 + 8 + 8 + 4 + 3] = 2
        case .checkInts: bytes[secret + 7] ^= 1
        case .keyType:
            // The inner key type only: the public blob still says ssh-ed25519.
            bytes.replaceSubrange(secret + 8 + 4..<secret + 8 + 4 + 11, with: Array("ssh-rsa-xyz".utf8))
        case .publicMismatch: bytes[secret + 8 + 15 + 4] ^= 1
        case .padding: bytes[bytes.count - 1] ^= 0x40
        case .truncated:
            bytes.removeLast(9)
        case .trailing: bytes.append(0)
        case .base64:
            return armored.replacingOccurrences(of: "\n-----END", with: "!\n-----END")
        }
        var out = ["-----BEGIN OPENSSH PRIVATE KEY-----"]
        let b64 = Data(bytes).base64EncodedString()
        var rest = Substring(b64)
        while !rest.isEmpty {
            out.append(String(rest.prefix(70)))
            rest = rest.dropFirst(70)
        }
        out.append("-----END OPENSSH PRIVATE KEY-----")
        return out.joined(separator: "\n") + "\n"
    }
}
