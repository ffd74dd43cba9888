import Foundation
import SpoolStore
import TestSupport
import Testing

@testable import TelemetryReport

@Suite("Report collection")
struct CollectorTests {
    let work: TemporaryDirectory

    init() throws { work = try TemporaryDirectory("collector") }

    func configuration(_ text: String) throws -> SpoolerConfiguration {
        try text.write(toFile: work.file("spooler.conf"), atomically: true, encoding: .utf8)
        return try SpoolerConfiguration.load(path: work.file("spooler.conf"), environment: [:])
    }

    @Test("the demo configuration fills every catalog metric, with no diagnostics", .timeLimit(.minutes(1)))
    func demoFillsEverything() throws {
        let configuration = try SpoolerConfiguration.load(path: repositoryRoot + "/spooler.conf", environment: [:])
        let report = try ReportCollector(configuration: configuration).collect(installation: "8c5a3f9e-2d1b-4c6a-9e7f-0a1b2c3d4e5f").report
        #expect(report.diagnostics == [])
        #expect(Set(report.metrics.keys) == Set(MetricCatalog.all.map(\.key)))
        #expect(
            report.metrics["machines.by_kind"]
                == .counts([
                    "listening_agent": 520, "polling_agent": 280, "ssh": 30, "kubernetes": 50,
                    "cloud_web_app": 30, "cloud_service": 15, "offline_package_drop": 15,
                ]))
        #expect(report.metrics["calls.api.by_result"] != nil)
        #expect(report.metrics["events.by_name"] != nil)
    }

    @Test("a failing source leaves its metric out with an error code; the rest is reported", .timeLimit(.minutes(1)))
    func failureIsDiagnostic() throws {
        try "SELECT 1;".write(toFile: work.file("empty.sql"), atomically: true, encoding: .utf8)
        try "printf '%0.s[' $(seq 1 40); printf '%0.s]' $(seq 1 40)\n".write(toFile: work.file("deep.sh"), atomically: true, encoding: .utf8)
        try "yes '[1,' | head -c 5000000\n".write(toFile: work.file("huge.sh"), atomically: true, encoding: .utf8)
        try "sleep 20\n".write(toFile: work.file("slow.sh"), atomically: true, encoding: .utf8)
        let configuration = try configuration(
            """
            [database demo]
            script = empty.sql
            [metric environments]
            sqlite = demo
            query = SELECT COUNT(*) FROM environments
            [metric projects]
            sqlite = demo
            query = SELECT 4
            [metric events.by_name]
            file = missing.json
            [metric calls.api.by_result]
            command = ./absent.sh
            [metric host.container]
            report = off
            [metric calls.database.by_type]
            command = sh deep.sh
            [metric calls.database.failures]
            command = sh huge.sh
            [metric calls.database.mean_duration]
            command = sh slow.sh
            timeout = 0.2s
            """)
        let collected = try ReportCollector(configuration: configuration).collect(installation: "8c5a3f9e-2d1b-4c6a-9e7f-0a1b2c3d4e5f")
        let errors = Dictionary(uniqueKeysWithValues: collected.report.diagnostics.map { ($0.metric, $0.error) })
        #expect(errors["environments"] == "query_error")
        #expect(errors["events.by_name"] == "file_missing")
        #expect(errors["calls.api.by_result"] == "command_not_found")
        #expect(errors["host.container"] == "disabled")
        #expect(errors["calls.database.by_type"] == "json_too_deep")
        #expect(errors["calls.database.failures"] == "output_too_large")
        #expect(errors["calls.database.mean_duration"] == "command_timeout")
        #expect(errors["server.memory_bytes"] == "not_configured")
        #expect(collected.report.metrics["projects"] == .int(4))
        #expect(collected.report.metrics["host.container"] == nil)
        // Diagnostics carry only keys and codes.
        for diagnostic in collected.report.diagnostics {
            #expect(diagnostic.error.wholeMatch(of: #/[a-z_]+/#) != nil)
        }
    }

    @Test(
        "a hostile value from any kind of source stops the collection, naming the metric and the rule", .timeLimit(.minutes(1)),
        arguments: [
            ("[metric host.os.name]\nfile = hostile.json\nfield = name", "host.os.name", "looks_like_hostname"),
            ("[metric users]\ncommand = sh hostile.sh\nfield = users", "users", "negative"),
            ("[metric machines.by_kind]\ncommand = sh hostile.sh\nfield = kinds", "machines.by_kind", "looks_like_email"),
            ("[database d]\nscript = hostile.sql\n[metric environments]\nsqlite = d\nquery = SELECT name FROM t", "environments", "wrong_type"),
            ("[database d]\nscript = hostile.sql\n[metric host.os.version]\nsqlite = d\nquery = SELECT name FROM t", "host.os.version", "looks_like_free_text"),
            (
                "[database d]\nscript = hostile.sql\n[metric metadata.last_event_date]\nsqlite = d\nquery = SELECT ip FROM t", "metadata.last_event_date",
                "looks_like_ip_address"
            ),
            ("[database d]\nscript = hostile.sql\n[metric calls.api.mean_duration]\nsqlite = d\nquery = SELECT 9e999", "calls.api.mean_duration", "not_finite"),
            ("[database d]\nscript = hostile.sql\n[metric projects]\nsqlite = d\nquery = SELECT 1e30", "projects", "out_of_range"),
        ])
    func hostile(text: String, metric: String, rule: String) throws {
        try #"{"name": "build-07.corp.example.com"}"#.write(toFile: work.file("hostile.json"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho '{\"users\": -4, \"kinds\": {\"alice@example.com\": 1}}'\n".write(
            toFile: work.file("hostile.sh"), atomically: true, encoding: .utf8)
        chmod(work.file("hostile.sh"), 0o755)
        try "CREATE TABLE t (name TEXT, ip TEXT); INSERT INTO t VALUES ('Finance web farm', '192.168.10.20');".write(
            toFile: work.file("hostile.sql"), atomically: true, encoding: .utf8)
        let configuration = try configuration(text)
        let violation = #expect(throws: PrivacyViolation.self) {
            try ReportCollector(configuration: configuration).collect(installation: "8c5a3f9e-2d1b-4c6a-9e7f-0a1b2c3d4e5f")
        }
        #expect(violation?.metric == metric)
        #expect(violation?.rule == rule)
    }

    @Test("the license serial is reported only as its SHA-1", .timeLimit(.minutes(1)))
    func license() throws {
        try "  ABCD-1234  \n".write(toFile: work.file("license.txt"), atomically: true, encoding: .utf8)
        let configuration = try configuration("license_file = license.txt\n")
        let collected = try ReportCollector(configuration: configuration).collect(installation: "8c5a3f9e-2d1b-4c6a-9e7f-0a1b2c3d4e5f")
        // printf 'ABCD-1234' | sha1sum
        #expect(collected.report.metrics["license.serial_sha1"] == .string("e264f45bf52e12bf31deeb6ea04beb8abb0cf9bc"))
        #expect(!String(decoding: collected.body, as: UTF8.self).contains("ABCD"))
    }

    @Test(
        "a license file saved on Windows (byte-order mark, CRLF) gives the same digest; a stray CR or two serials are refused",
        .timeLimit(.minutes(1)))
    func licenseWindowsText() throws {
        let configuration = try configuration("license_file = license.txt\n")
        func digest(_ bytes: [UInt8]) throws -> [String: ReportValue] {
            try Data(bytes).write(to: URL(fileURLWithPath: work.file("license.txt")))
            let report = try ReportCollector(configuration: configuration).collect(installation: "8c5a3f9e-2d1b-4c6a-9e7f-0a1b2c3d4e5f").report
            return report.metrics.filter { $0.key == "license.serial_sha1" }
                .merging(report.diagnostics.filter { $0.metric == "license.serial_sha1" }.map { ($0.metric, .string("error: " + $0.error)) }) { a, _ in a }
        }
        let expected: [String: ReportValue] = ["license.serial_sha1": .string("e264f45bf52e12bf31deeb6ea04beb8abb0cf9bc")]
        #expect(try digest([0xEF, 0xBB, 0xBF] + Array("ABCD-1234\r\n".utf8)) == expected)
        #expect(try digest(Array("\r\nABCD-1234\r\n\r\n".utf8)) == expected)
        #expect(try digest(Array("ABCD-1234\rEFGH\n".utf8)) == ["license.serial_sha1": .string("error: not_text")])
        #expect(try digest(Array("ABCD-1234\nEFGH-5678\n".utf8)) == ["license.serial_sha1": .string("error: wrong_shape")])
    }

    @Test("file and command output with a byte-order mark and CRLF line ends is read as on Linux", .timeLimit(.minutes(1)))
    func windowsSourceOutput() throws {
        try Data([0xEF, 0xBB, 0xBF] + Array("{\r\n  \"count\": 7\r\n}\r\n".utf8)).write(to: URL(fileURLWithPath: work.file("stats.json")))
        try "#!/bin/sh\nprintf '\\357\\273\\277{\"n\": 9}\\r\\n'\n".write(toFile: work.file("stats.sh"), atomically: true, encoding: .utf8)
        chmod(work.file("stats.sh"), 0o755)
        let configuration = try configuration(
            "[metric environments]\r\nfile = stats.json\r\nfield = count\r\n[metric projects]\r\ncommand = ./stats.sh\r\nfield = n\r\n")
        let report = try ReportCollector(configuration: configuration).collect(installation: "8c5a3f9e-2d1b-4c6a-9e7f-0a1b2c3d4e5f").report
        #expect(report.metrics["environments"] == .int(7))
        #expect(report.metrics["projects"] == .int(9))
    }

    @Test("a count above its metric's bound is refused: an IPv4 address as a number", .timeLimit(.minutes(1)))
    func countBound() throws {
        try #"{"users": 3232235777}"#.write(toFile: work.file("counts.json"), atomically: true, encoding: .utf8)
        let configuration = try configuration("[metric users]\nfile = counts.json\nfield = users\n")
        let violation = #expect(throws: PrivacyViolation.self) {
            try ReportCollector(configuration: configuration).collect(installation: "8c5a3f9e-2d1b-4c6a-9e7f-0a1b2c3d4e5f")
        }
        #expect(violation?.metric == "users")
        #expect(violation?.rule == "out_of_range")
        #expect(violation?.description.contains("above 10000000") == true)
    }
}

@Suite("CPU average over the interval")
struct CPUAverageTests {
    let root: TemporaryDirectory

    init() throws { root = try TemporaryDirectory("proc") }

    /// A fake /proc for pid 4242: `cpuTicks` of CPU (utime, stime split), started at `startTicks`.
    func fakeProc(cpuTicks: Int, startTicks: Int, uptime: Double, boot: String = "boot-1") throws {
        try FileManager.default.createDirectory(atPath: root.file("proc/4242"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root.file("proc/sys/kernel/random"), withIntermediateDirectories: true)
        var fields = Array(repeating: "0", count: 50)
        fields[11] = String(cpuTicks / 2)
        fields[12] = String(cpuTicks - cpuTicks / 2)
        fields[19] = String(startTicks)
        // The command name may hold spaces and parentheses.
        try ("4242 (my (server) x) " + fields.dropFirst(0).joined(separator: " ")).write(toFile: root.file("proc/4242/stat"), atomically: true, encoding: .utf8)
        try "Name:\tserver\nVmRSS:\t  2048 kB\n".write(toFile: root.file("proc/4242/status"), atomically: true, encoding: .utf8)
        try "\(uptime) 0.0\n".write(toFile: root.file("proc/uptime"), atomically: true, encoding: .utf8)
        try "\(boot)\n".write(toFile: root.file("proc/sys/kernel/random/boot_id"), atomically: true, encoding: .utf8)
    }

    func collect(previous: ReportState, now: Date) throws -> CollectedReport {
        var configuration = SpoolerConfiguration()
        configuration.watchPid = .pid(4242)
        return try ReportCollector(configuration: configuration, probe: HostProbe(root: root.path), previous: previous, now: now)
            .collect(installation: "8c5a3f9e-2d1b-4c6a-9e7f-0a1b2c3d4e5f")
    }

    @Test("first report: lifetime average; next report: average over the interval; restart: lifetime again", .timeLimit(.minutes(1)))
    func interval() throws {
        let ticks = Int(sysconf(Int32(_SC_CLK_TCK)))
        // Started at 100 s after boot, now 1100 s after boot, used 100 s of CPU: 10 % over its lifetime.
        try fakeProc(cpuTicks: 100 * ticks, startTicks: 100 * ticks, uptime: 1100)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try collect(previous: ReportState(), now: t0)
        #expect(first.report.metrics["server.cpu_percent"] == .double(10))
        #expect(first.report.metrics["server.memory_bytes"] == .int(2048 * 1024))
        #expect(first.nextState.cpu?.cpuSeconds == 100)
        #expect(first.nextState.lastReportAt == t0.timeIntervalSince1970)

        // 1000 s later it has used 500 s more: 50 % over the interval (lifetime would be 30 %).
        try fakeProc(cpuTicks: 600 * ticks, startTicks: 100 * ticks, uptime: 2100)
        let second = try collect(previous: first.nextState, now: t0.addingTimeInterval(1000))
        #expect(second.report.metrics["server.cpu_percent"] == .double(50))

        // Restarted (another start time): back to its lifetime average.
        try fakeProc(cpuTicks: 20 * ticks, startTicks: 2000 * ticks, uptime: 2100)
        let restarted = try collect(previous: second.nextState, now: t0.addingTimeInterval(1100))
        #expect(restarted.report.metrics["server.cpu_percent"] == .double(20))

        // After a reboot the same pid and start time are another process.
        try fakeProc(cpuTicks: 600 * ticks, startTicks: 100 * ticks, uptime: 2100, boot: "boot-2")
        let rebooted = try collect(previous: second.nextState, now: t0.addingTimeInterval(2000))
        #expect(rebooted.report.metrics["server.cpu_percent"] == .double(30))
    }

    @Test("the sample is kept in the state directory, written atomically", .timeLimit(.minutes(1)))
    func persisted() throws {
        let state = (directory: StateDirectory(path: root.file("state")), ())
        let saved = ReportState(lastReportAt: 12, cpu: CPUSample(pid: 1, processStart: 2, bootID: "b", cpuSeconds: 3, wallTime: 12))
        try saved.save(to: state.directory)
        #expect(ReportState.load(from: state.directory) == saved)
        try "garbage".write(toFile: root.file("state/report-state.json"), atomically: true, encoding: .utf8)
        #expect(ReportState.load(from: state.directory) == ReportState())
    }
}
