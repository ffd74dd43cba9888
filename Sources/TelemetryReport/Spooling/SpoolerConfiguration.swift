import FoundationEssentials
import SpoolFormat
import SpoolStore

/// The spooler's configuration file: `key = value` lines, `#` comments, `[section]` headers.
///
/// A deliberately small format: every value is one line, and every error names the file and
/// line. Unknown keys, sections and metrics are errors, so a typo never silently changes what is
/// reported. Relative paths are relative to the directory of the configuration file.
/// The full reference is docs/CONFIGURE.md.
public struct SpoolerConfiguration: Sendable, Equatable {
    /// The version of the product whose telemetry is reported.
    public var productVersion: String = "0.0.0"
    /// Whether reports are spooled at all (on by default, as in the product).
    public var reporting: Bool = true
    /// Where the server process writes its pid, to measure its memory and CPU.
    public var watchPidFile: String?
    /// Or the server process's name (`/proc/PID/comm`).
    public var watchProcess: String?
    /// Or a pid given directly: a number, or the spooler's parent process (for demos).
    public var watchPid: WatchedPid?
    /// A file holding the license key serial; only its SHA-1 is reported.
    public var licenseFile: String?
    /// The path the uploader replays reports to.
    public var requestPath: String = "/api/telemetry"
    /// Seconds between reports of `spooler run`.
    public var interval: Double = 86_400
    /// Up to this many seconds are added at random to each interval.
    public var jitter: Double = 3_600
    /// The spool's entries of this installation never take more than this many bytes.
    public var maxSpoolBytes: Int64?
    /// Entries older than this many seconds are removed.
    public var maxSpoolAge: Double?
    /// Exported entries that no receipt acknowledged are removed this many seconds after their creation.
    public var maxUnackedAge: Double?
    /// The allowed_signers file of the uploader keys whose receipts `spooler ack` accepts.
    public var trustedUploaders: String?
    /// Databases the `sqlite` sources query, by name.
    public var databases: [String: DatabaseSpec] = [:]
    /// The source of each metric configured explicitly, by metric key.
    public var metrics: [String: MetricSourceSpec] = [:]
    /// The directory relative paths are resolved against.
    public var baseDirectory: String = "."
    /// The file this configuration was read from, if any.
    public var source: String?
    /// Which file was chosen and why (``ConfigurationLocation``).
    public var location = ConfigurationLocation(path: nil, origin: .none)
    /// Whether reporting was switched off by `SPOOLER_REPORTING` rather than the file.
    public var reportingFromEnvironment = false

    public enum WatchedPid: Sendable, Equatable {
        case pid(Int32)
        case parent
    }

    public struct DatabaseSpec: Sendable, Equatable {
        public enum Origin: Sendable, Equatable {
            /// A database file, opened read-only.
            case file(String)
            /// An in-memory database built from a SQL script at every collection (demos, tests).
            case script(String)
        }
        public var origin: Origin
        public var line: Int
    }

    public init() {}

    /// Loads `path`; with no path, the file ``ConfigurationLocation/find(option:environment:systemPath:workingDirectory:)``
    /// chooses, or the built-in defaults when there is none. `SPOOLER_REPORTING=off` in
    /// `environment` switches reporting off.
    public static func load(
        path: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        systemPath: String = ConfigurationLocation.systemPath, workingDirectory: String? = nil
    ) throws -> SpoolerConfiguration {
        var configuration = SpoolerConfiguration()
        configuration.location = ConfigurationLocation.find(
            option: path, environment: environment, systemPath: systemPath, workingDirectory: workingDirectory)
        if let file = configuration.location.path {
            let data: [UInt8]
            do {
                data = try RegularFile.read(file, maxBytes: 1 << 20, followSymlinks: true)
            } catch {
                let named = configuration.location.origin == .environment ? " (named by $\(ConfigurationLocation.environmentVariable))" : ""
                throw ConfigurationError(file: file, line: nil, reason: error.reason + named)
            }
            configuration.baseDirectory = FileSystem.directory(containing: file)
            try configuration.apply(bytes: data, file: file)
            configuration.source = file
        }
        if let value = environment["SPOOLER_REPORTING"], !value.isEmpty {
            guard let on = parseSwitch(value) else {
                throw ConfigurationError(file: "environment", line: nil, reason: "SPOOLER_REPORTING='\(value)' must be on or off")
            }
            if configuration.reporting && !on { configuration.reportingFromEnvironment = true }
            configuration.reporting = on
        }
        return configuration
    }

    /// A path from the configuration, resolved against ``baseDirectory``.
    public func resolve(_ path: String) -> String {
        FileSystem.resolve(path, against: baseDirectory)
    }

    /// Applies the lines of a configuration text.
    public mutating func apply(text: String, file: String) throws {
        try apply(bytes: Array(text.utf8), file: file)
    }

    /// Applies a configuration file's bytes: UTF-8, LF or CRLF line ends, an optional byte-order
    /// mark (``TextRules/lines(_:)``); anything else is refused, naming the line.
    public mutating func apply(bytes: [UInt8], file: String) throws {
        let lines: [String]
        do {
            lines = try TextRules.lines(bytes)
        } catch {
            throw ConfigurationError(file: file, line: error.line, reason: error.description)
        }
        var section: Section = .top
        var pending: PendingMetric?
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ reason: String) -> ConfigurationError { ConfigurationError(file: file, line: lineNumber, reason: reason) }
            if line.hasPrefix("[") {
                if let metric = pending { metrics[metric.key] = try metric.finish(file: file) }
                pending = nil
                guard line.hasSuffix("]") else { throw fail("a section header ends with ']': '\(line)'") }
                let words = line.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                guard words.count == 2 else { throw fail("expected '[metric KEY]' or '[database NAME]', found '\(line)'") }
                switch words[0] {
                case "metric":
                    guard MetricCatalog.definition(words[1]) != nil else {
                        throw fail("unknown metric '\(words[1])' (see 'spooler catalog' for the keys)")
                    }
                    guard metrics[words[1]] == nil else { throw fail("metric '\(words[1])' is configured twice") }
                    section = .metric(words[1])
                    pending = PendingMetric(key: words[1], line: lineNumber)
                case "database":
                    guard words[1].wholeMatch(of: #/[A-Za-z0-9_-]{1,64}/#) != nil else {
                        throw fail("database name '\(words[1])' may hold only letters, digits, '-' and '_'")
                    }
                    guard databases[words[1]] == nil else { throw fail("database '\(words[1])' is declared twice") }
                    section = .database(words[1])
                default:
                    throw fail("unknown section '[\(words[0]) …]'; expected [metric KEY] or [database NAME]")
                }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw fail("expected 'key = value', found '\(line)'") }
            let key = line[..<equals].trimmingWhitespace()
            let value = line[line.index(after: equals)...].trimmingWhitespace()
            guard !value.isEmpty else { throw fail("'\(key)' has no value") }
            switch section {
            case .top:
                try applyTop(key: key, value: value, fail: fail)
            case .database(let name):
                guard databases[name] == nil else { throw fail("database '\(name)' already has its path or script; give only one") }
                switch key {
                case "path": databases[name] = DatabaseSpec(origin: .file(value), line: lineNumber)
                case "script": databases[name] = DatabaseSpec(origin: .script(value), line: lineNumber)
                default: throw fail("unknown key '\(key)' in [database \(name)]; expected path or script")
                }
            case .metric:
                try pending!.apply(key: key, value: value, line: lineNumber, fail: fail)
            }
        }
        if let metric = pending { metrics[metric.key] = try metric.finish(file: file) }
        // Every database a metric names must be declared.
        for (key, spec) in metrics.sorted(by: { $0.key < $1.key }) {
            if case .sqlite(let database, _) = spec.kind, databases[database] == nil {
                throw ConfigurationError(
                    file: file, line: spec.line, reason: "metric '\(key)' queries database '\(database)', which no [database \(database)] section declares")
            }
        }
    }

    private mutating func applyTop(key: String, value: String, fail: (String) -> ConfigurationError) throws {
        /// A duration value within `range`; the message names the key, the value and what is allowed.
        func duration(_ value: String, in range: ClosedRange<Double>, _ allowed: String) throws -> Double {
            guard let seconds = Self.parseDuration(value), range.contains(seconds) else {
                throw fail("\(key) '\(value)' must be a duration \(allowed)")
            }
            return seconds
        }
        switch key {
        case "product_version":
            guard TextRules.isReleaseVersion(value) else {
                throw fail(
                    "product_version '\(value)' is not a release number (1 to 3 numbers separated by dots, optionally -alpha, -beta, -rc or -pre and a number, such as 2021.2.7 or 3.0.0-rc2)"
                )
            }
            productVersion = value
        case "reporting":
            guard let on = Self.parseSwitch(value) else { throw fail("reporting must be on or off, not '\(value)'") }
            reporting = on
        case "watch_pid_file":
            watchPidFile = value
        case "watch_process":
            guard value.count <= 15, !value.contains("/") else {
                throw fail("watch_process '\(value)' must be a process name as /proc/PID/comm shows it (at most 15 characters, no '/')")
            }
            watchProcess = value
        case "watch_pid":
            if value == "parent" {
                watchPid = .parent
            } else if let pid = Int32(value), pid > 0 {
                watchPid = .pid(pid)
            } else {
                throw fail("watch_pid must be a process id or 'parent', not '\(value)'")
            }
        case "license_file":
            licenseFile = value
        case "request_path":
            if let problem = RequestPath.problem(value) {
                throw fail(
                    "request_path '\(value)' \(problem); it must be an absolute path of segments of A-Z a-z 0-9 - . _ ~ such as /api/telemetry (docs/PROTOCOL.md)"
                )
            }
            requestPath = value
        case "interval":
            interval = try duration(value, in: Self.intervalRange, "between 1m and 366d, such as 24h, 90m or 7d")
        case "jitter":
            jitter = try duration(value, in: Self.jitterRange, "between 0s and 366d, such as 1h, 10m or 0s")
        case "max_spool_bytes":
            guard let bytes = Self.parseBytes(value), Self.spoolBytesRange.contains(bytes) else {
                throw fail("max_spool_bytes '\(value)' must be a size between 4KiB and 16TiB, such as 500MB or 2GiB")
            }
            maxSpoolBytes = bytes
        case "max_spool_age":
            maxSpoolAge = try duration(value, in: Self.spoolAgeRange, "between 1m and 3660d (ten years), such as 90d")
        case "max_unacked_age":
            maxUnackedAge = try duration(value, in: Self.spoolAgeRange, "between 1m and 3660d (ten years), such as 90d")
        case "trusted_uploaders":
            trustedUploaders = value
        default:
            throw fail("unknown key '\(key)'")
        }
    }

    // Bounds that keep every schedule within dates and integers we can compute with
    // (`interval = 1e308d` would otherwise schedule a report in the year 506713).
    static let intervalRange: ClosedRange<Double> = 60...(366 * 86_400)
    static let jitterRange: ClosedRange<Double> = 0...(366 * 86_400)
    static let spoolAgeRange: ClosedRange<Double> = 60...(3_660 * 86_400)
    static let spoolBytesRange: ClosedRange<Int64> = 4_096...(16 << 40)

    enum Section {
        case top
        case metric(String)
        case database(String)
    }

    static func parseSwitch(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "on", "true", "yes": return true
        case "off", "false", "no": return false
        default: return nil
        }
    }

    /// `90`, `90s`, `15m`, `24h`, `7d`, `1.5h`: seconds.
    public static func parseDuration(_ value: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var number = Substring(value)
        var unit = 1.0
        if let last = value.last, let factor = units[last] {
            number = value.dropLast()
            unit = factor
        }
        guard let amount = Double(number.trimmingWhitespace()), amount.isFinite, amount >= 0 else { return nil }
        let seconds = amount * unit
        return seconds.isFinite ? seconds : nil
    }

    /// `4096`, `500KB`, `500MB`, `2GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024).
    public static func parseBytes(_ value: String) -> Int64? {
        let units: [(String, Int64)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
        ]
        for (suffix, factor) in units where value.hasSuffix(suffix) {
            guard let amount = Int64(value.dropLast(suffix.count).trimmingWhitespace()), amount >= 0 else { return nil }
            let (product, overflow) = amount.multipliedReportingOverflow(by: factor)
            return overflow ? nil : product
        }
        return Int64(value)
    }
}

/// Where one metric's value comes from.
public struct MetricSourceSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A built-in host probe.
        case probe(ProbeKind)
        /// A read-only query: one row with one column, or (kind, count) rows.
        case sqlite(database: String, query: String)
        /// A program run with a time limit; its stdout is JSON (the value, or an object holding it in `field`).
        case command(arguments: [String], timeout: Double, field: String?)
        /// A JSON file (the value, or an object holding it in `field`).
        case file(path: String, field: String?)
        /// Never reported.
        case off
    }

    public var kind: Kind
    /// The line of the `[metric …]` header.
    public var line: Int
}

/// A `[metric KEY]` section being read.
struct PendingMetric {
    let key: String
    let line: Int
    var values: [String: (value: String, line: Int)] = [:]

    static let sourceKeys = ["probe", "sqlite", "command", "file", "report"]
    static let allowedKeys: Set<String> = ["probe", "sqlite", "query", "command", "timeout", "file", "field", "report"]

    init(key: String, line: Int) {
        self.key = key
        self.line = line
    }

    mutating func apply(key name: String, value: String, line: Int, fail: (String) -> ConfigurationError) throws {
        guard Self.allowedKeys.contains(name) else {
            throw fail(
                "unknown key '\(name)' in [metric \(key)]; expected one of probe, sqlite (with query), command (with timeout, field), file (with field), report = off"
            )
        }
        guard values[name] == nil else { throw fail("'\(name)' is given twice in [metric \(key)]") }
        values[name] = (value, line)
    }

    func finish(file: String) throws -> MetricSourceSpec {
        func fail(_ reason: String, at line: Int? = nil) -> ConfigurationError { ConfigurationError(file: file, line: line ?? self.line, reason: reason) }
        let sources = Self.sourceKeys.filter { values[$0] != nil }
        guard sources.count == 1 else {
            throw fail(
                sources.isEmpty
                    ? "[metric \(key)] names no source; give one of probe, sqlite, command, file, or report = off"
                    : "[metric \(key)] names \(sources.count) sources (\(sources.joined(separator: ", "))); give exactly one")
        }
        func only(_ allowed: Set<String>, for source: String) throws {
            for (name, entry) in values where !allowed.contains(name) && name != source {
                throw fail("'\(name)' does not apply to a \(source) source in [metric \(key)]", at: entry.line)
            }
        }
        let source = sources[0]
        let (value, valueLine) = values[source]!
        // A digest is computed by the spooler from the raw value it reads itself; a source could
        // hand over any 40 hex digits (an e-mail address in hex) and the guard could not tell.
        if case .hash(let algorithm, _) = MetricCatalog.definition(key)?.type, source != "probe", source != "report" {
            throw fail(
                "[metric \(key)] is a \(algorithm.uppercased().replacing("SHA", with: "SHA-")) digest the spooler computes itself (from license_file); a \(source) source cannot supply it (use the built-in probe, or report = off)",
                at: valueLine)
        }
        switch source {
        case "probe":
            try only([], for: source)
            guard let probe = ProbeKind(rawValue: value) else {
                throw fail("unknown probe '\(value)'; expected one of \(ProbeKind.allCases.map(\.rawValue).joined(separator: ", "))", at: valueLine)
            }
            return MetricSourceSpec(kind: .probe(probe), line: line)
        case "sqlite":
            try only(["query"], for: source)
            guard let query = values["query"]?.value else { throw fail("[metric \(key)] has 'sqlite = \(value)' but no 'query = SELECT …'", at: valueLine) }
            return MetricSourceSpec(kind: .sqlite(database: value, query: query), line: valueLine)
        case "command":
            try only(["timeout", "field"], for: source)
            var timeout = CommandRunner.defaultTimeout
            if let entry = values["timeout"] {
                guard let seconds = SpoolerConfiguration.parseDuration(entry.value), seconds > 0, seconds <= 600 else {
                    throw fail("timeout '\(entry.value)' must be a duration between 0 and 10m, such as 10s", at: entry.line)
                }
                timeout = seconds
            }
            let arguments = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            return MetricSourceSpec(kind: .command(arguments: arguments, timeout: timeout, field: values["field"]?.value), line: valueLine)
        case "file":
            try only(["field"], for: source)
            return MetricSourceSpec(kind: .file(path: value, field: values["field"]?.value), line: valueLine)
        default:
            try only([], for: source)
            guard SpoolerConfiguration.parseSwitch(value) == false else {
                throw fail("'report' only takes the value off (to leave [metric \(key)] out of every report)", at: valueLine)
            }
            return MetricSourceSpec(kind: .off, line: line)
        }
    }
}

/// A configuration error: the file, the line when known, and what is wrong.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var reason: String

    public init(file: String, line: Int?, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(PrintableText.path(file))\(line.map { ":\($0)" } ?? ""): \(reason)" }
}
