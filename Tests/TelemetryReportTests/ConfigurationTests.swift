import Foundation
import SpoolFormat
import TestSupport
import Testing

@testable import TelemetryReport

@Suite("Configuration file")
struct ConfigurationTests {
    func parse(_ text: String) throws -> SpoolerConfiguration {
        var configuration = SpoolerConfiguration()
        try configuration.apply(text: text, file: "test.conf")
        return configuration
    }

    @Test("a complete configuration is read: top-level keys, databases and metric sources")
    func complete() throws {
        let configuration = try parse(
            """
            # comment
            product_version = 2021.2.7
            watch_process = product-server
            license_file = license.txt
            interval = 12h
            jitter = 15m
            max_spool_bytes = 2MiB
            max_spool_age = 30d
            max_unacked_age = 90d
            trusted_uploaders = trusted_uploaders

            [database product]
            path = /var/lib/product/product.db

            [metric environments]
            sqlite = product
            query = SELECT COUNT(*) FROM environments

            [metric calls.api.by_result]
            command = /usr/local/bin/product-stats --json
            timeout = 5s
            field = api

            [metric events.by_name]
            file = events.json

            [metric license.serial_sha1]
            report = off
            """)
        #expect(configuration.productVersion == "2021.2.7")
        #expect(configuration.interval == 43_200)
        #expect(configuration.jitter == 900)
        #expect(configuration.maxSpoolBytes == 2 << 20)
        #expect(configuration.maxSpoolAge == 30.0 * 86_400)
        #expect(configuration.maxUnackedAge == 90.0 * 86_400)
        #expect(configuration.trustedUploaders == "trusted_uploaders")
        #expect(configuration.databases["product"]?.origin == .file("/var/lib/product/product.db"))
        #expect(configuration.metrics["environments"]?.kind == .sqlite(database: "product", query: "SELECT COUNT(*) FROM environments"))
        #expect(
            configuration.metrics["calls.api.by_result"]?.kind == .command(arguments: ["/usr/local/bin/product-stats", "--json"], timeout: 5, field: "api"))
        #expect(configuration.metrics["events.by_name"]?.kind == .file(path: "events.json", field: nil))
        #expect(configuration.metrics["license.serial_sha1"]?.kind == .off)
    }

    @Test(
        "errors name the file, the line and what is wrong",
        arguments: [
            ("product_version = 1\ncolour = blue", 2, "unknown key 'colour'"),
            ("max_unacked_age = soon", 1, "max_unacked_age 'soon' must be a duration between 1m and 3660d"),
            ("[metric environment]\nsqlite = x", 1, "unknown metric 'environment'"),
            ("[widget x]", 1, "unknown section"),
            ("[metric projects]\nsqlite = db\nquery = SELECT 1\nfile = x.json", 1, "names 2 sources"),
            ("[metric projects]\nsqlite = db", 2, "no 'query"),
            ("[metric projects]\nquery = SELECT 1", 1, "names no source"),
            ("\n\n[metric projects]\nsqlite = nowhere\nquery = SELECT 1", 4, "no [database nowhere] section declares"),
            ("[metric projects]\nfile = a.json\ntimeout = 5s", 3, "'timeout' does not apply to a file source"),
            ("[metric projects]\ncommand = x\ntimeout = forever", 3, "timeout 'forever'"),
            ("[metric projects]\nprobe = magic", 2, "unknown probe 'magic'"),
            ("[metric projects]\nreport = on", 2, "only takes the value off"),
            ("interval = 5s", 1, "interval '5s' must be a duration between 1m and 366d"),
            ("\ninterval = 1e308d", 2, "interval '1e308d' must be a duration between 1m and 366d"),
            ("interval = 400d", 1, "between 1m and 366d"),
            ("interval = inf", 1, "interval 'inf'"),
            ("interval = nan", 1, "interval 'nan'"),
            ("jitter = 1e300h", 1, "jitter '1e300h' must be a duration between 0s and 366d"),
            ("max_spool_age = 1e308d", 1, "max_spool_age '1e308d' must be a duration between 1m and 3660d"),
            ("max_spool_bytes = 9223372036854775807", 1, "max_spool_bytes '9223372036854775807' must be a size between 4KiB and 16TiB"),
            ("max_spool_bytes = 99999999999GiB", 1, "must be a size between 4KiB and 16TiB"),
            ("max_spool_bytes = lots", 1, "max_spool_bytes 'lots'"),
            ("reporting = maybe", 1, "on or off"),
            ("watch_pid = -3", 1, "watch_pid"),
            ("[database db]\npath = a\nscript = b", 3, "already has its path or script"),
            ("[metric projects]\nfile = a\n[metric projects]\nfile = b", 3, "configured twice"),
            ("just words", 1, "expected 'key = value'"),
            ("product_version = db01.corp.example", 1, "product_version 'db01.corp.example' is not a release number"),
            ("product_version = 10.0.0.1", 1, "product_version '10.0.0.1' is not a release number"),
            ("product_version = 2021.2.7+build.alice", 1, "is not a release number"),
            ("reporting = on\r\n# note\rreporting = off\r\n", 2, "carriage return (CR) that does not end a line"),
            ("reporting = off\n\u{0}", 2, "NUL byte"),
            ("[metric license.serial_sha1]\nfile = serial.json", 2, "SHA-1 digest the spooler computes itself"),
            ("[metric license.serial_sha1]\ncommand = cat serial", 2, "a command source cannot supply it"),
        ])
    func errors(text: String, line: Int, reason: String) {
        let error = #expect(throws: ConfigurationError.self) { try parse(text) }
        #expect(error?.file == "test.conf")
        #expect(error?.line == line)
        #expect(error?.reason.contains(reason) == true, "\(error?.reason ?? "")")
    }

    @Test("a file saved on Windows reads as on Linux: CRLF line ends and a byte-order mark", arguments: ["\n", "\r\n"], [false, true])
    func windowsLineEnds(lineEnd: String, byteOrderMark: Bool) throws {
        let text = ["product_version = 2021.2.7", "reporting = off", "[metric projects]", "file = projects.json", "field = n", ""]
            .joined(separator: lineEnd)
        var configuration = SpoolerConfiguration()
        try configuration.apply(bytes: (byteOrderMark ? [0xEF, 0xBB, 0xBF] : []) + Array(text.utf8), file: "test.conf")
        #expect(configuration.reporting == false)
        #expect(configuration.productVersion == "2021.2.7")
        #expect(configuration.metrics["projects"]?.kind == .file(path: "projects.json", field: "n"))
    }

    @Test("invalid UTF-8 is refused naming the file and line", .timeLimit(.minutes(1)))
    func notUTF8() throws {
        let work = try TemporaryDirectory("config")
        try Data(Array("reporting = on\nproduct_version = 1.0\n# caf".utf8) + [0xE9] + Array("\n".utf8)).write(
            to: URL(fileURLWithPath: work.file("spooler.conf")))
        let error = #expect(throws: ConfigurationError.self) { try SpoolerConfiguration.load(path: work.file("spooler.conf"), environment: [:]) }
        #expect(error?.description == "\(work.file("spooler.conf")):3: is not UTF-8 text")
    }

    @Test(
        "product versions: release numbers only",
        arguments: [
            ("2021.2.7", true), ("12", true), ("3.0.0-rc2", true), ("1.0-beta", true), ("2019.5.4", true),
            ("db01.corp.example", false), ("10.0.0.1", false), ("1.0-dev", false), ("v1.0", false), ("1..0", false),
            ("", false), ("1.0-rc1000", false), ("1234567.1", false), ("1.0 ", false),
        ])
    func releaseVersions(text: String, accepted: Bool) {
        #expect(TextRules.isReleaseVersion(text) == accepted)
    }

    @Test("SPOOLER_REPORTING=off overrides the file; a bad value is an error", .timeLimit(.minutes(1)))
    func environment() throws {
        let work = try TemporaryDirectory("config")
        let file = work.file("spooler.conf")
        try "reporting = on\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try SpoolerConfiguration.load(path: file, environment: [:]).reporting)
        let off = try SpoolerConfiguration.load(path: file, environment: ["SPOOLER_REPORTING": "off"])
        #expect(!off.reporting && off.reportingFromEnvironment)
        #expect(throws: ConfigurationError.self) { try SpoolerConfiguration.load(path: file, environment: ["SPOOLER_REPORTING": "sometimes"]) }
    }

    @Test("relative paths are relative to the configuration file's directory", .timeLimit(.minutes(1)))
    func relativePaths() throws {
        let work = try TemporaryDirectory("config")
        try "license_file = license.txt\n".write(toFile: work.file("spooler.conf"), atomically: true, encoding: .utf8)
        let configuration = try SpoolerConfiguration.load(path: work.file("spooler.conf"), environment: [:])
        #expect(configuration.resolve("license.txt") == work.file("license.txt"))
        #expect(configuration.resolve("/etc/x") == "/etc/x")
    }

    @Test("durations and sizes")
    func units() {
        #expect(SpoolerConfiguration.parseDuration("90") == 90)
        #expect(SpoolerConfiguration.parseDuration("1.5h") == 5_400)
        #expect(SpoolerConfiguration.parseDuration("7d") == 604_800)
        #expect(SpoolerConfiguration.parseDuration("-1s") == nil)
        #expect(SpoolerConfiguration.parseBytes("500KB") == 500_000)
        #expect(SpoolerConfiguration.parseBytes("1GiB") == 1 << 30)
        #expect(SpoolerConfiguration.parseBytes("9999999999GiB") == nil)
    }
}
