import Foundation
import SpoolStore
import TestSupport
import Testing

@testable import TelemetryReport

/// The built `spooler` finds its configuration as an administrator expects (--config, else
/// $SPOOLER_CONFIG, else /etc/telemetry-spool/spooler.conf, else ./spooler.conf), says which file
/// it read, and the committed configurations (the demo and the production example) hold up.
/// The /etc step is covered by ConfigurationLocationTests: the tests never write to /etc.
@Suite("configuration lookup and the shipped configurations")
struct ConfigurationLookupTests {
    /// The product version a `preview --json` body reports: which file was read.
    func productVersion(_ result: Command.Result) throws -> String? {
        let body = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return body?["productVersion"] as? String
    }

    @Test("--config, else $SPOOLER_CONFIG, else ./spooler.conf; preview and collect say which on stderr", .timeLimit(.minutes(1)))
    func order() throws {
        let site = try Site(config: "product_version = 2.0.1\n")
        try site.write("named.conf", "product_version = 2.0.2\n")
        try site.write("option.conf", "product_version = 2.0.3\n")
        let named = site.work.file("named.conf")

        let local = try site.run("preview", "--json", "--state", site.state)
        #expect(local.status == 0, "\(local.stderr)")
        #expect(try productVersion(local) == "2.0.1")
        #expect(local.stderr.contains("configuration: spooler.conf (in the working directory)"), "\(local.stderr)")

        let byEnvironment = try site.run("preview", "--json", "--state", site.state, environment: ["SPOOLER_CONFIG": named])
        #expect(try productVersion(byEnvironment) == "2.0.2")
        #expect(byEnvironment.stderr.contains("configuration: \(named) ($SPOOLER_CONFIG)"), "\(byEnvironment.stderr)")

        let byOption = try site.run("preview", "--json", "--state", site.state, "--config", "option.conf", environment: ["SPOOLER_CONFIG": named])
        #expect(try productVersion(byOption) == "2.0.3")
        #expect(byOption.stderr.contains("configuration: option.conf (--config)"), "\(byOption.stderr)")

        let collect = try site.run("collect", "--state", site.state, environment: ["SPOOLER_CONFIG": named])
        #expect(collect.status == 0, "\(collect.stderr)")
        #expect(collect.stderr.contains("configuration: \(named) ($SPOOLER_CONFIG)"), "\(collect.stderr)")
        let zcat = try Command.run("zcat", [site.work.file(try #require(collect.lines.last))])
        #expect(zcat.lines.first?.contains("\"productVersion\":\"2.0.2\"") == true)
    }

    @Test("a missing file named by $SPOOLER_CONFIG or --config is an error naming it; nothing is spooled", .timeLimit(.minutes(1)))
    func missingNamedFile() throws {
        let site = try Site()
        let missing = site.work.file("absent.conf")
        let byEnvironment = try site.run("collect", "--state", site.state, environment: ["SPOOLER_CONFIG": missing])
        #expect(byEnvironment.status == 1)
        #expect(byEnvironment.stderr.contains(missing), "\(byEnvironment.stderr)")
        #expect(byEnvironment.stderr.contains("(named by $SPOOLER_CONFIG)"), "\(byEnvironment.stderr)")
        let byOption = try site.run("collect", "--state", site.state, "--config", missing)
        #expect(byOption.status == 1)
        #expect(byOption.stderr.contains(missing), "\(byOption.stderr)")
        #expect(!FileManager.default.fileExists(atPath: site.spool))
    }

    @Test("with no configuration anywhere, the defaults, and stderr says where it looked", .timeLimit(.minutes(1)))
    func noFile() throws {
        let site = try Site()
        try FileManager.default.removeItem(atPath: site.work.file("spooler.conf"))
        let result = try site.run("preview", "--json", "--state", site.state)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try productVersion(result) == "0.0.0")
        #expect(result.stderr.contains("no configuration file (none given with --config or $SPOOLER_CONFIG"), "\(result.stderr)")
    }

    @Test("--help states the lookup order", .timeLimit(.minutes(1)))
    func help() throws {
        let site = try Site()
        let result = try site.run("collect", "--help")
        let text = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("$SPOOLER_CONFIG, else /etc/telemetry-spool/spooler.conf when it exists, else ./spooler.conf when it exists"), "\(result.stdout)")
    }

    @Test("the demo: preview shows exactly the body the next collect spools", .timeLimit(.minutes(1)))
    func demoIsStable() throws {
        let work = try TemporaryDirectory("demo-stable")
        let arguments = ["--spool", work.file("Spool"), "--state", work.file("state")]
        func spooler(_ command: String, _ extra: [String] = []) throws -> Command.Result {
            // The demo is ./spooler.conf at the repository top, found with no flags.
            try Command.run(Command.product("spooler"), [command] + extra + arguments, in: repositoryRoot)
        }
        #expect(try spooler("keygen").status == 0)
        let preview = try spooler("preview", ["--json"])
        #expect(preview.status == 0, "\(preview.stderr)")
        // Past a second boundary: anything computed from the clock at second precision shows.
        Thread.sleep(forTimeInterval: 1.1)
        let collect = try spooler("collect")
        #expect(collect.status == 0, "\(collect.stderr)")
        #expect(!collect.stderr.contains("left out"), "\(collect.stderr)")
        let zcat = try Command.run("zcat", [try #require(collect.lines.last)])
        #expect(zcat.lines.count == 2)
        #expect(zcat.lines.last.map { $0 + "\n" } == preview.stdout)
    }

    @Test("the demo has no setting that depends on who started the spooler", .timeLimit(.minutes(1)))
    func demoWatchesNoProcess() throws {
        let demo = try SpoolerConfiguration.load(path: repositoryRoot + "/spooler.conf", environment: [:])
        #expect(demo.watchPid == nil && demo.watchPidFile == nil && demo.watchProcess == nil)
    }

    @Test("contrib/spooler.conf.example loads with the real parser: absolute paths, all 45 metrics, nothing of the demo", .timeLimit(.minutes(1)))
    func productionExample() throws {
        let file = repositoryRoot + "/contrib/spooler.conf.example"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!text.contains("Examples/"))
        #expect(!text.contains("watch_pid = parent"))
        #expect(!text.contains("script ="))
        let example = try SpoolerConfiguration.load(path: file, environment: [:])
        #expect(example.reporting)
        // Every path is absolute: the file is read from /etc, never relative to a checkout.
        var paths = [example.watchPidFile, example.licenseFile, example.trustedUploaders].compactMap { $0 }
        for database in example.databases.values {
            guard case .file(let path) = database.origin else {
                Issue.record("a database built from a script: \(database)")
                continue
            }
            paths.append(path)
        }
        for source in example.metrics.values {
            switch source.kind {
            case .file(let path, _): paths.append(path)
            case .command(let arguments, _, _): paths.append(arguments[0])
            default: break
            }
        }
        #expect(paths.count >= 6)
        for path in paths { #expect(path.hasPrefix("/"), "\(path) is relative") }
        // Every metric has a source: none is reported as not configured. Sources that do not
        // exist on this machine are left out with a diagnostic; nothing is refused.
        let report = try ReportCollector(configuration: example).collect(installation: "8c5a3f9e-2d1b-4c6a-9e7f-0a1b2c3d4e5f").report
        #expect(report.diagnostics.filter { $0.error == "not_configured" } == [])
        #expect(report.metrics.count + report.diagnostics.count == MetricCatalog.all.count)
    }
}
