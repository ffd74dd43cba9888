import Foundation
import TestSupport
import Testing

/// The systemd units in contrib/ as an administrator installs them: `systemd-analyze verify`
/// accepts every one against the real binaries, the sysusers.d and tmpfiles.d files make the user
/// and the directories, `systemd-analyze security` scores each service as docs/INSTALL.md says,
/// and the spooler's command lines work with the production example configuration.
/// No systemd needs to run: everything is checked offline in a temporary root.
@Suite("systemd units", .serialized)
struct SystemdUnitTests {
    static let contrib = repositoryRoot + "/contrib"
    static let services = ["telemetry-spooler.service", "telemetry-collect.service", "telemetry-receiver.service", "telemetry-upload.service"]
    static let timers = ["telemetry-collect.timer", "telemetry-upload.timer"]

    /// A root holding systemd's own units, the built binaries at /usr/local/bin (where the units
    /// and `make install` put them) and ours in /etc/systemd/system.
    struct Root {
        let directory: TemporaryDirectory
        var path: String { directory.path }

        init() throws {
            directory = try TemporaryDirectory("systemd-root")
            let manager = FileManager.default
            for folder in ["usr/lib/systemd", "usr/local/bin", "etc/systemd/system", "usr/lib/sysusers.d", "usr/lib/tmpfiles.d"] {
                try manager.createDirectory(atPath: directory.file(folder), withIntermediateDirectories: true)
            }
            // verify needs the targets the units refer to (multi-user.target, timers.target, …).
            let system = manager.fileExists(atPath: "/usr/lib/systemd/system") ? "/usr/lib/systemd/system" : "/lib/systemd/system"
            try manager.copyItem(atPath: system, toPath: directory.file("usr/lib/systemd/system"))
            // The real binaries. Not a symbolic link: verify resolves its target inside the root.
            for name in ["spooler", "uploader", "receiver"] {
                let target = directory.file("usr/local/bin/" + name)
                do { try manager.linkItem(atPath: Command.product(name), toPath: target) } catch {
                    try manager.copyItem(atPath: Command.product(name), toPath: target)
                }
            }
            for unit in SystemdUnitTests.services + SystemdUnitTests.timers {
                try manager.copyItem(atPath: SystemdUnitTests.contrib + "/" + unit, toPath: directory.file("etc/systemd/system/" + unit))
            }
            try manager.copyItem(
                atPath: SystemdUnitTests.contrib + "/telemetry-spool.sysusers", toPath: directory.file("usr/lib/sysusers.d/telemetry-spool.conf"))
            try manager.copyItem(
                atPath: SystemdUnitTests.contrib + "/telemetry-spool.tmpfiles", toPath: directory.file("usr/lib/tmpfiles.d/telemetry-spool.conf"))
        }
    }

    @Test("contrib holds every unit this suite checks, and no other", .timeLimit(.minutes(1)))
    func everyUnitIsChecked() throws {
        let units = try FileManager.default.contentsOfDirectory(atPath: Self.contrib).filter { $0.hasSuffix(".service") || $0.hasSuffix(".timer") }
        #expect(Set(units) == Set(Self.services + Self.timers))
    }

    @Test("systemd-analyze verify accepts every unit without a warning", .timeLimit(.minutes(1)))
    func verify() throws {
        let root = try Root()
        // --man=no: the man pages are checked where they are built, not here.
        let result = try Command.run("systemd-analyze", ["verify", "--man=no", "--root=" + root.path] + Self.services + Self.timers, in: root.path)
        #expect(result.status == 0)
        #expect(result.stdout + result.stderr == "", "\(result.stdout)\(result.stderr)")

        // The check is real: a missing binary and a misspelt setting are both reported.
        try FileManager.default.removeItem(atPath: root.path + "/usr/local/bin/spooler")
        try (String(contentsOfFile: Self.contrib + "/telemetry-receiver.service", encoding: .utf8) + "[Service]\nProtectSystem=sometimes\n")
            .write(toFile: root.path + "/etc/systemd/system/telemetry-receiver.service", atomically: true, encoding: .utf8)
        let broken = try Command.run("systemd-analyze", ["verify", "--man=no", "--root=" + root.path] + Self.services, in: root.path)
        #expect(broken.status != 0)
        #expect(broken.stderr.contains("Command /usr/local/bin/spooler is not executable"), "\(broken.stderr)")
        #expect(broken.stderr.contains("telemetry-receiver.service:") && broken.stderr.contains("Failed to parse"), "\(broken.stderr)")
    }

    @Test("every service runs as telemetry-spool, and the spooler's have no network and write only the spool and the state", .timeLimit(.minutes(1)))
    func settings() throws {
        for service in Self.services {
            let text = try String(contentsOfFile: Self.contrib + "/" + service, encoding: .utf8)
            let lines = Set(text.split(separator: "\n").map(String.init))
            for setting in [
                "User=telemetry-spool", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=",
                "SystemCallFilter=@system-service",
            ] {
                #expect(lines.contains(setting), "\(service) lacks \(setting)")
            }
            if service.hasPrefix("telemetry-spooler") || service.hasPrefix("telemetry-collect") {
                #expect(lines.contains("PrivateNetwork=yes"))
                #expect(lines.contains("RestrictAddressFamilies=AF_UNIX"))
                #expect(lines.contains("ReadWritePaths=/var/spool/telemetry"))
                #expect(lines.contains("StateDirectory=telemetry-spool"))
                #expect(lines.filter { $0.hasPrefix("ReadWritePaths=") }.count == 1)
            }
        }
    }

    @Test("the sysusers.d and tmpfiles.d files make the user and the directories", .timeLimit(.minutes(1)))
    func userAndDirectories() throws {
        let root = try Root()
        let users = try Command.run("systemd-sysusers", ["--root=" + root.path, "telemetry-spool.conf"])
        #expect(users.status == 0, "\(users.stderr)")
        let passwd = try String(contentsOfFile: root.path + "/etc/passwd", encoding: .utf8)
        let user = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("telemetry-spool:") })
        #expect(user.hasSuffix(":/var/lib/telemetry-spool:/usr/sbin/nologin"), "\(user)")
        let group = try String(contentsOfFile: root.path + "/etc/group", encoding: .utf8)
        #expect(group.contains("telemetry-spool:x:"))

        let directories = try Command.run("systemd-tmpfiles", ["--root=" + root.path, "--create", "telemetry-spool.conf"])
        #expect(directories.status == 0, "\(directories.stderr)")
        for (folder, mode) in [("/var/spool/telemetry", 0o750), ("/var/spool/telemetry-incoming", 0o770)] {
            let attributes = try FileManager.default.attributesOfItem(atPath: root.path + folder)
            #expect((attributes[.posixPermissions] as? Int) == mode, "\(folder)")
        }
    }

    @Test("systemd-analyze security scores each service as docs/INSTALL.md says", .timeLimit(.minutes(1)))
    func securityScores() throws {
        let root = try Root()
        let documented = try Self.documentedScores()
        #expect(Set(documented.scores.keys) == Set(Self.services))
        let version = try Command.run("systemd-analyze", ["--version"]).lines.first ?? ""
        for service in Self.services {
            let result = try Command.run("systemd-analyze", ["security", "--offline=yes", "--root=" + root.path, service], in: root.path)
            #expect(result.status == 0, "\(result.stderr)")
            let line = try #require(result.lines.first { $0.contains("Overall exposure level for \(service):") }, "\(result.stdout)")
            let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
            // Lower is safer (0 to 10); the units stay in systemd's "OK" band or better.
            #expect(score <= 2.0, "\(service): \(line)")
            // The figures quoted are those of the systemd version the docs name.
            if version.hasPrefix("systemd \(documented.version) ") {
                #expect(documented.scores[service] == score, "\(service): docs say \(documented.scores[service] ?? -1), systemd-analyze says \(line)")
            }
        }
    }

    /// The table of docs/INSTALL.md: `| `UNIT` | SCORE LEVEL |` rows, and the systemd version
    /// named in its header.
    static func documentedScores() throws -> (version: String, scores: [String: Double]) {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/INSTALL.md", encoding: .utf8)
        var version = ""
        var scores: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("| unit |"), let header = cells.last, let range = header.range(of: "systemd ") {
                version = String(header[range.upperBound...].prefix { $0.isNumber })
            }
            guard cells.count == 2, cells[0].hasPrefix("`telemetry-"), cells[0].hasSuffix(".service`") else { continue }
            scores[String(cells[0].dropFirst().dropLast())] = cells[1].split(separator: " ").first.flatMap { Double($0) }
        }
        return (version, scores)
    }

    /// No systemd runs here, so the units cannot be started; this runs the spooler the way
    /// `PrivateNetwork=yes`, `ProtectSystem=strict` and `ReadWritePaths=` confine it: in a network
    /// namespace of its own (only a loopback device) and a mount namespace where everything is
    /// read-only but the spool and the state directory. Needs root, for unshare(1).
    @Test(
        "the spooler works confined as its units confine it: no network, read-only but for the spool and state", .enabled(if: getuid() == 0),
        .timeLimit(.minutes(1)))
    func confined() throws {
        let work = try TemporaryDirectory("confined")
        let spool = work.file("spool")
        let state = work.file("state")
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let spooler = Command.product("spooler")
        let script = """
            mount --make-rprivate /
            mount --bind '\(spool)' '\(spool)'
            mount --bind '\(state)' '\(state)'
            mount -o remount,bind,ro /
            if touch '\(work.file("outside"))' 2>/dev/null; then echo "the root is writable" >&2; exit 9; fi
            tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' >&2
            '\(spooler)' collect --spool '\(spool)' --state '\(state)'
            '\(spooler)' verify --spool '\(spool)' --state '\(state)'
            """
        // At the repository top: the demo reads a SQL script, runs a program and reads a file.
        let result = try Command.run("unshare", ["--net", "--mount", "/bin/sh", "-euc", script], in: repositoryRoot)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").contains("lo"))
        #expect(!result.stderr.split(separator: "\n").contains { $0.hasPrefix("eth") })
        #expect(!result.stderr.contains("left out"), "\(result.stderr)")
        #expect(result.lines.last?.hasPrefix("verified 1 entry") == true, "\(result.stdout)")
    }

    @Test("the spooler units' command lines work with the production example configuration", .timeLimit(.minutes(1)))
    func spoolerCommandLines() throws {
        for (service, extra) in [("telemetry-collect.service", [String]()), ("telemetry-spooler.service", ["--max-reports", "1"])] {
            // A fresh spool each: `run` reports at once only when no report is recent.
            let work = try TemporaryDirectory("units")
            try FileManager.default.copyItem(atPath: Self.contrib + "/spooler.conf.example", toPath: work.file("spooler.conf"))
            let text = try String(contentsOfFile: Self.contrib + "/" + service, encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
            // The unit's own paths, moved into the work folder.
            let command = line.dropFirst("ExecStart=".count)
                .replacingOccurrences(of: "/etc/telemetry-spool/spooler.conf", with: work.file("spooler.conf"))
                .replacingOccurrences(of: "/var/spool/telemetry", with: work.file("spool"))
                .replacingOccurrences(of: "/var/lib/telemetry-spool", with: work.file("state"))
            let words = command.split(separator: " ").map(String.init)
            #expect(words[0] == "/usr/local/bin/spooler")
            let result = try Command.run(Command.product("spooler"), Array(words.dropFirst()) + extra, in: work.path)
            #expect(result.status == 0, "\(service): \(result.stderr)")
            #expect(result.stderr.contains("configuration: \(work.file("spooler.conf")) (--config)"), "\(result.stderr)")
            #expect(result.lines.last?.hasPrefix(work.file("spool") + "/") == true, "\(result.stdout)")
        }
    }
}
