import Foundation
import SpoolStore
import TestSupport
import Testing

@testable import TelemetryReport

/// The built `spooler`, run in a fresh working directory holding a `spooler.conf`.
struct Site {
    let work: TemporaryDirectory
    var state: String { work.file("state") }
    var spool: String { work.file("Spool") }

    init(config: String = "product_version = 2021.2.7\n") throws {
        work = try TemporaryDirectory("spooler-run")
        try config.write(toFile: work.file("spooler.conf"), atomically: true, encoding: .utf8)
    }

    @discardableResult
    func run(_ arguments: String..., environment: [String: String] = [:]) throws -> Command.Result {
        try Command.run(Command.product("spooler"), arguments, in: work.path, environment: environment)
    }

    /// Committed entries (`.sig` present), in name order.
    func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter { $0.hasSuffix(".json.gz.sig") }.sorted()
    }

    func allFiles() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).sorted() }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: work.file(name), atomically: true, encoding: .utf8)
    }

    /// Starts `spooler run` in the background; stdout and stderr go to files in the work directory.
    func start(_ arguments: String...) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Command.product("spooler"))
        process.arguments = ["run", "--state", state] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: work.path)
        #expect(FileManager.default.createFile(atPath: work.file("run.out"), contents: nil))
        #expect(FileManager.default.createFile(atPath: work.file("run.err"), contents: nil))
        process.standardOutput = FileHandle(forWritingAtPath: work.file("run.out"))
        process.standardError = FileHandle(forWritingAtPath: work.file("run.err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func output(_ name: String) -> String { (try? String(contentsOfFile: work.file(name), encoding: .utf8)) ?? "" }

    /// Waits up to `seconds` for `condition`.
    func wait(seconds: Double = 20, for condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    func stop(_ process: Process, signal: Int32 = SIGTERM) -> Bool {
        kill(process.processIdentifier, signal)
        let exited = wait(seconds: 10) { !process.isRunning }
        if !exited { process.terminate() }
        process.waitUntilExit()
        return exited
    }
}

@Suite("spooler run, opt-out, privacy and limits on the command line", .serialized)
struct SpoolerRunTests {
    @Test("run spools on its interval; every entry verifies", .timeLimit(.minutes(1)))
    func schedule() throws {
        let site = try Site()
        let result = try site.run("run", "--state", site.state, "--interval-seconds", "0.2", "--max-reports", "3")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines.count == 3)
        #expect(site.entries().count == 3)
        #expect(result.stderr.contains("catch-up"))
        let verify = try site.run("verify", "--state", site.state)
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test(
        "SIGTERM and SIGINT stop run cleanly; while it runs, the lock stops a second run or collect", .timeLimit(.minutes(1)),
        arguments: [SIGTERM, SIGINT])
    func stopAndLock(signal: Int32) throws {
        let site = try Site()
        let process = try site.start("--interval-seconds", "0.3")
        #expect(site.wait { site.entries().count >= 2 })

        let collect = try site.run("collect", "--state", site.state)
        #expect(collect.status != 0)
        #expect(collect.stderr.contains("another spooler is writing"))
        let second = try site.run("run", "--state", site.state, "--interval-seconds", "0.3")
        #expect(second.status != 0)
        #expect(second.stderr.contains("another spooler is writing"))

        // Between reports the spool's write lock is free for maintenance commands.
        #expect(site.wait { (try? SpoolLock(directory: site.spool)) != nil })

        #expect(site.stop(process, signal: signal))
        #expect(process.terminationStatus == 0)
        #expect(site.output("run.err").contains("stopped by \(signal == SIGTERM ? "SIGTERM" : "SIGINT")"))
        // No partial entry: every .json.gz has its .sig, and nothing temporary is left.
        let files = site.allFiles().filter { $0 != ".spooler.lock" }
        #expect(files.count == 2 * site.entries().count)
        #expect(!files.contains { $0.hasPrefix(".tmp-") })
        #expect(site.output("run.out").split(separator: "\n").count == site.entries().count)
        #expect(try site.run("verify", "--state", site.state).status == 0)
    }

    @Test("catch-up: run spools at once when no report is recent, and waits when one is", .timeLimit(.minutes(1)))
    func catchUp() throws {
        let site = try Site()
        let first = try site.start("--interval-seconds", "3600")
        #expect(site.wait { site.entries().count == 1 })
        #expect(site.stop(first))
        #expect(site.output("run.err").contains("catch-up"))

        let second = try site.start("--interval-seconds", "3600")
        #expect(site.wait { site.output("run.err").contains("next report at") })
        usleep(300_000)
        #expect(site.stop(second))
        #expect(second.terminationStatus == 0)
        #expect(site.entries().count == 1)
        #expect(!site.output("run.err").contains("catch-up"))
    }

    @Test("reporting = off: collect and run spool nothing and say so; preview still shows the body", .timeLimit(.minutes(1)))
    func optOutInFile() throws {
        let site = try Site(config: "product_version = 1.0\nreporting = off\n")
        for command in ["collect", "run"] {
            let result = try site.run(command, "--state", site.state)
            #expect(result.status == 0)
            #expect(result.stdout.contains("reporting is off (reporting = off in spooler.conf): \(command) spools nothing"))
        }
        #expect(!FileManager.default.fileExists(atPath: site.spool))
        #expect(!FileManager.default.fileExists(atPath: site.state))
        let preview = try site.run("preview", "--json", "--state", site.state)
        #expect(preview.status == 0)
        #expect(preview.stderr.contains("reporting is off"))
        #expect(preview.stdout.contains("\"productVersion\":\"1.0\""))
    }

    @Test(
        "a configuration saved on Windows (CRLF, byte-order mark) with reporting = off spools nothing", .timeLimit(.minutes(1)),
        arguments: [false, true])
    func optOutInWindowsFile(byteOrderMark: Bool) throws {
        let site = try Site()
        try Data((byteOrderMark ? [0xEF, 0xBB, 0xBF] : []) + Array("# telemetry\r\nproduct_version = 1.0\r\nreporting = off\r\n".utf8))
            .write(to: URL(fileURLWithPath: site.work.file("spooler.conf")))
        let result = try site.run("collect", "--state", site.state)
        #expect(result.status == 0)
        #expect(result.stdout.contains("reporting is off (reporting = off in spooler.conf): collect spools nothing"))
        #expect(!FileManager.default.fileExists(atPath: site.spool))
    }

    @Test("classic Mac line ends are refused by name, never read as one line", .timeLimit(.minutes(1)))
    func classicMacLineEnds() throws {
        let site = try Site(config: "# telemetry\rreporting = off\r")
        let result = try site.run("collect", "--state", site.state)
        #expect(result.status != 0)
        #expect(result.stderr.contains("spooler.conf:1: holds a carriage return (CR) that does not end a line"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: site.spool))
    }

    @Test("a product version that is not a release number is refused by collect, naming the key and the value", .timeLimit(.minutes(1)))
    func productVersionGuarded() throws {
        let site = try Site(config: "product_version = db01.corp.example\n")
        for command in ["collect", "preview"] {
            let result = try site.run(command, "--state", site.state)
            #expect(result.status != 0)
            #expect(result.stderr.contains("spooler.conf:1: product_version 'db01.corp.example' is not a release number"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: site.spool))
    }

    @Test("a file source cannot supply a digest, and a count above its bound is refused", .timeLimit(.minutes(1)))
    func readyMadeDigestAndHugeCount() throws {
        // The hex of "alice@corp.example" padded to 40 digits: a digest in form only.
        let site = try Site(config: "product_version = 1.0\n[metric license.serial_sha1]\nfile = serial.json\n")
        try site.write("serial.json", "\"616c69636540636f72702e6578616d706c650000\"\n")
        let digest = try site.run("collect", "--state", site.state)
        #expect(digest.status != 0)
        #expect(digest.stderr.contains("spooler.conf:3: [metric license.serial_sha1] is a SHA-1 digest the spooler computes itself"), "\(digest.stderr)")
        try site.write("spooler.conf", "product_version = 1.0\n[metric users]\nfile = users.json\n")
        try site.write("users.json", "3232235777\n")
        let count = try site.run("collect", "--state", site.state)
        #expect(count.status == 1)
        #expect(count.stderr.contains("metric 'users' refused by the privacy guard, rule out_of_range: a count above 10000000"), "\(count.stderr)")
        #expect(site.entries().isEmpty)
    }

    @Test("preview prints the two lines zcat shows, with placeholders for what only collect fixes", .timeLimit(.minutes(1)))
    func previewTwoLines() throws {
        let site = try Site(config: "product_version = 2021.2.7\nrequest_path = /api/telemetry/v1\n")
        let fresh = try site.run("preview", "--state", site.state)
        #expect(fresh.status == 0)
        #expect(fresh.lines.count == 2)
        #expect(fresh.lines[0].contains("\"installation\":\"<installation>\"") && fresh.lines[0].contains("\"key\":\"<key>\""))
        #expect(fresh.stderr.contains("the two lines 'zcat' will show"))
        #expect(try site.run("collect", "--state", site.state).status == 0)
        let preview = try site.run("preview", "--state", site.state)
        let path = try #require(try site.run("collect", "--state", site.state).lines.last)
        let zcat = try Command.run("zcat", [path], in: site.work.path)
        #expect(preview.lines.count == 2 && zcat.lines.count == 2)
        // The body is the same bytes (no probe of a watched process changes between the two runs).
        #expect(preview.lines[1] == zcat.lines[1])
        // The metadata is the same line once the placeholders are filled in from the entry.
        let metadata = try JSONSerialization.jsonObject(with: Data(zcat.lines[0].utf8)) as! [String: Any]
        let filled = preview.lines[0]
            .replacingOccurrences(of: "\"<sequence>\"", with: "\(metadata["sequence"]!)")
            .replacingOccurrences(of: "\"<created>\"", with: "\"\(metadata["created"]!)\"")
            .replacingOccurrences(of: "\"<previous>\"", with: "\"\(metadata["previous"]!)\"")
        #expect(filled == zcat.lines[0])
        #expect(preview.lines[0].contains("\"path\":\"/api/telemetry/v1\""))
    }

    @Test("SPOOLER_REPORTING=off overrides reporting = on", .timeLimit(.minutes(1)))
    func optOutInEnvironment() throws {
        let site = try Site(config: "reporting = on\n")
        for command in ["collect", "run"] {
            let result = try site.run(command, "--state", site.state, environment: ["SPOOLER_REPORTING": "off"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("reporting is off (SPOOLER_REPORTING=off)"))
        }
        #expect(!FileManager.default.fileExists(atPath: site.spool))
        let preview = try site.run("preview", "--state", site.state, environment: ["SPOOLER_REPORTING": "off"])
        #expect(preview.status == 0)
        #expect(preview.stderr.contains("reporting is off"))
    }

    @Test("a value the privacy guard refuses stops collect and preview before anything is written", .timeLimit(.minutes(1)))
    func privacyRefusal() throws {
        let site = try Site(
            config: """
                product_version = 1.0
                [metric targets.os.by_name]
                command = sh hostile.sh
                field = os
                """)
        try site.write("hostile.sh", "echo '{\"os\": {\"windows\": 3, \"build-07.corp.example.com\": 1}}'\n")
        let collect = try site.run("collect", "--state", site.state)
        #expect(collect.status == 1)
        #expect(collect.stderr.contains("metric 'targets.os.by_name' refused by the privacy guard, rule looks_like_hostname"))
        #expect(!collect.stderr.contains("corp.example.com"))
        #expect(site.entries().isEmpty)
        #expect(site.allFiles().allSatisfy { !$0.contains(".json.gz") })
        let preview = try site.run("preview", "--state", site.state)
        #expect(preview.status == 1)
        #expect(preview.stdout.isEmpty)
    }

    @Test("preview writes nothing: no spool, no identity, no CPU sample; collect then saves the sample", .timeLimit(.minutes(1)))
    func previewWritesNothing() throws {
        let site = try Site(config: "product_version = 1.0\nwatch_pid = parent\n")
        let preview = try site.run("preview", "--json", "--state", site.state)
        #expect(preview.status == 0)
        #expect(preview.stdout.contains("\"server.cpu_percent\":"))
        #expect(!FileManager.default.fileExists(atPath: site.spool))
        #expect(!FileManager.default.fileExists(atPath: site.state))
        #expect(try site.run("collect", "--state", site.state).status == 0)
        let saved = try #require(FileManager.default.contents(atPath: site.state + "/report-state.json"))
        let state = try JSONDecoder().decode(ReportState.self, from: saved)
        #expect(state.cpu != nil && state.lastReportAt != nil)
        #expect((try FileManager.default.attributesOfItem(atPath: site.state + "/report-state.json")[.posixPermissions] as? Int) == 0o600)
    }

    @Test("a configuration error names the file and line; nothing is spooled", .timeLimit(.minutes(1)))
    func configurationError() throws {
        let site = try Site(config: "product_version = 1.0\nreportng = off\n")
        let result = try site.run("collect", "--state", site.state)
        #expect(result.status != 0)
        #expect(result.stderr.contains("spooler.conf:2: unknown key 'reportng'"))
        #expect(!FileManager.default.fileExists(atPath: site.spool))
    }

    @Test("max_spool_bytes: the oldest entries make way, and a signed tombstone in the chain declares them", .timeLimit(.minutes(1)))
    func spoolLimit() throws {
        let site = try Site(config: "product_version = 1.0\nmax_spool_bytes = 8KiB\n")
        var last = ""
        for _ in 0..<12 {
            let result = try site.run("collect", "--state", site.state)
            #expect(result.status == 0, "\(result.stderr)")
            last = result.stderr
        }
        _ = last
        let sizes = try site.allFiles().filter { $0.contains(".json.gz") }.map {
            try FileManager.default.attributesOfItem(atPath: site.spool + "/" + $0)[.size] as! Int
        }
        #expect(sizes.reduce(0, +) <= 8 * 1024)
        let verify = try site.run("verify", "--state", site.state)
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("declared"))
        // Without the state directory (as the uploader or an auditor verifies): clean as well.
        try site.write("allowed_signers", try site.run("pubkey", "--state", site.state, "--allowed-signers").stdout)
        let stateless = try site.run("verify", "--state", site.work.file("elsewhere"), "--allowed-signers", "allowed_signers")
        #expect(stateless.status == 0, "\(stateless.stdout)")
        // The tombstone reads with stock tools.
        var tombstones = 0
        for entry in site.entries() {
            let zcat = try Command.run("zcat", [site.spool + "/" + entry.replacingOccurrences(of: ".sig", with: "")])
            if zcat.lines[0].contains("\"kind\":\"tombstone\"") {
                tombstones += 1
                #expect(zcat.lines[1].contains("\"reason\":\"max_bytes\""))
                #expect(zcat.lines[1].contains("\"dropped\":{\"first\":"))
            }
        }
        #expect(tombstones >= 1)
    }

    @Test("the demo: collect at the repository top fills every catalog metric", .timeLimit(.minutes(1)))
    func demo() throws {
        let work = try TemporaryDirectory("demo")
        let result = try Command.run(Command.product("spooler"), ["collect", "--spool", work.file("Spool"), "--state", work.file("state")], in: repositoryRoot)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("left out"))
        let path = try #require(result.lines.last)
        let zcat = try Command.run("zcat", [path])
        let body = try #require(try JSONSerialization.jsonObject(with: Data(zcat.lines[1].utf8)) as? [String: Any])
        let metrics = try #require(body["metrics"] as? [String: Any])
        #expect(Set(metrics.keys) == Set(MetricCatalog.all.map(\.key)))
        #expect((body["diagnostics"] as? [Any])?.isEmpty == true)
    }
}
