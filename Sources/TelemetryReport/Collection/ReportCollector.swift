import FoundationEssentials
import SpoolFormat

#if canImport(Glibc)
    import Glibc
#endif

/// A collected report: the request body to spool and what it was made from.
public struct CollectedReport: Sendable {
    public var body: [UInt8]
    public var schema: Int
    public var productVersion: String
    public var requestPath: String
    /// The request's content type, checked by the privacy guard like every field that leaves the site.
    public var contentType: String
    /// The request the entry records, for the uploader to replay.
    public var request: ReplayRequest { ReplayRequest(path: requestPath, contentType: contentType) }
    /// The decoded body, for callers that summarise it.
    public var report: ReportBody
    /// What to save in the state directory once the report is spooled (never by `preview`).
    public var nextState: ReportState
}

/// Collects one report from the configured sources, through the privacy guard.
///
/// Each catalog metric is read from its configured source, or its built-in probe. A source that
/// fails leaves the metric out and adds a diagnostic (metric key and error code). A value that the
/// privacy guard refuses stops the whole collection with a ``PrivacyViolation``: nothing is spooled.
public struct ReportCollector: Sendable {
    public var configuration: SpoolerConfiguration
    public var probe: HostProbe
    /// The state saved after the previous report (for the CPU average over the interval).
    public var previous: ReportState
    public var now: Date

    public init(configuration: SpoolerConfiguration, probe: HostProbe = HostProbe(), previous: ReportState = ReportState(), now: Date = Date()) {
        self.configuration = configuration
        self.probe = probe
        self.previous = previous
        self.now = now
    }

    /// The report body for `installation`: compact JSON, sorted keys, ending in a newline.
    /// - Throws: ``PrivacyViolation`` when a source gives a value the catalog does not allow.
    public func collect(installation: String) throws -> CollectedReport {
        let contentType = "application/json"
        try PrivacyGuard.checkMetadata(productVersion: configuration.productVersion, contentType: contentType)
        var run = CollectionRun(collector: self)
        var metrics: [String: ReportValue] = [:]
        var diagnostics: [ReportBody.Diagnostic] = []
        for definition in MetricCatalog.all {
            let spec = configuration.metrics[definition.key]?.kind ?? definition.probe.map { .probe($0) }
            guard let spec else {
                diagnostics.append(.init(metric: definition.key, error: SourceFailure.notConfigured.code))
                continue
            }
            if spec == .off {
                diagnostics.append(.init(metric: definition.key, error: "disabled"))
                continue
            }
            let raw: JSONValue
            do {
                raw = try run.value(of: spec)
            } catch {
                diagnostics.append(.init(metric: definition.key, error: error.code))
                continue
            }
            metrics[definition.key] = try PrivacyGuard.check(raw, as: definition)
        }
        let body = ReportBody(
            schema: currentPayloadSchema, installation: installation,
            productVersion: configuration.productVersion, metrics: metrics, diagnostics: diagnostics)
        let nextState = ReportState(lastReportAt: now.timeIntervalSince1970, cpu: run.cpuSample ?? nil)
        return CollectedReport(
            body: try body.encoded(), schema: currentPayloadSchema, productVersion: configuration.productVersion,
            requestPath: configuration.requestPath, contentType: contentType, report: body, nextState: nextState)
    }
}

/// One collection: caches databases, command outputs and the watched process across metrics.
struct CollectionRun {
    let collector: ReportCollector
    var databases: [String: Result<SQLiteDatabase, SourceFailure>] = [:]
    var commands: [String: Result<JSONValue, SourceFailure>] = [:]
    var watched: Result<Int32, SourceFailure>?
    var cpuSample: CPUSample??

    init(collector: ReportCollector) { self.collector = collector }

    var configuration: SpoolerConfiguration { collector.configuration }
    var probe: HostProbe { collector.probe }

    mutating func value(of spec: MetricSourceSpec.Kind) throws(SourceFailure) -> JSONValue {
        switch spec {
        case .off:
            throw .notConfigured
        case .probe(let kind):
            return try probeValue(kind)
        case .sqlite(let name, let query):
            return try database(name).value(of: query)
        case .command(let arguments, let timeout, let field):
            let cacheKey = "\(timeout)\u{0}" + arguments.joined(separator: "\u{0}")
            if commands[cacheKey] == nil {
                let runner = CommandRunner(directory: configuration.baseDirectory)
                do {
                    commands[cacheKey] = .success(try runner.run(arguments, timeout: timeout))
                } catch {
                    commands[cacheKey] = .failure(error)
                }
            }
            return try commands[cacheKey]!.get().select(field: field)
        case .file(let path, let field):
            return try FileSource().read(configuration.resolve(path)).select(field: field)
        }
    }

    mutating func database(_ name: String) throws(SourceFailure) -> SQLiteDatabase {
        if databases[name] == nil {
            guard let spec = configuration.databases[name] else { throw .databaseMissing }
            do {
                switch spec.origin {
                case .file(let path): databases[name] = .success(try SQLiteDatabase(path: configuration.resolve(path)))
                case .script(let path): databases[name] = .success(try SQLiteDatabase(script: configuration.resolve(path)))
                }
            } catch {
                databases[name] = .failure(error)
            }
        }
        return try databases[name]!.get()
    }

    mutating func watchedPid() throws(SourceFailure) -> Int32 {
        if let watched { return try watched.get() }
        let result: Result<Int32, SourceFailure>
        if let watchPid = configuration.watchPid {
            switch watchPid {
            case .pid(let pid): result = .success(pid)
            case .parent: result = .success(getppid())
            }
        } else if let file = configuration.watchPidFile {
            result = probe.pid(fromFile: configuration.resolve(file)).map { .success($0) } ?? .failure(.processNotFound)
        } else if let name = configuration.watchProcess {
            result = probe.pid(named: name).map { .success($0) } ?? .failure(.processNotFound)
        } else {
            result = .failure(.notConfigured)
        }
        watched = result
        return try result.get()
    }

    mutating func probeValue(_ kind: ProbeKind) throws(SourceFailure) -> JSONValue {
        switch kind {
        case .osName:
            guard let name = probe.operatingSystemName() else { throw .unavailable }
            return .string(name)
        case .osVersion:
            guard let version = probe.operatingSystem()?.version, version != "unknown" else { throw .unavailable }
            return .string(version)
        case .architecture:
            return .string(probe.architectureName())
        case .container:
            return .bool(probe.isContainer())
        case .memory:
            let pid = try watchedPid()
            guard let rss = probe.residentBytes(pid: pid) else { throw .processNotFound }
            return .integer(Int64(clamping: rss))
        case .cpu:
            return .number(try cpuPercent())
        case .license:
            guard let file = configuration.licenseFile else { throw .notConfigured }
            // The raw serial: the privacy guard computes the digest that is reported.
            let lines = try FileSource.readLines(configuration.resolve(file), maxBytes: 4096)
                .map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
            guard let serial = lines.first else { throw .noValue }
            guard lines.count == 1 else { throw .wrongShape }
            return .string(serial)
        }
    }

    /// CPU % of the watched process: over the interval since the previous report when the same
    /// process was sampled then, otherwise over the process's lifetime.
    mutating func cpuPercent() throws(SourceFailure) -> Double {
        let pid = try watchedPid()
        guard let times = probe.cpuTimes(pid: pid), let uptime = probe.uptime() else { throw .processNotFound }
        let sample = CPUSample(
            pid: pid, processStart: times.startedAt, bootID: probe.bootID(),
            cpuSeconds: times.cpuSeconds, wallTime: collector.now.timeIntervalSince1970)
        cpuSample = .some(sample)
        if let previous = collector.previous.cpu, sample.continues(previous) {
            return (sample.cpuSeconds - previous.cpuSeconds) / (sample.wallTime - previous.wallTime) * 100
        }
        let lifetime = max(uptime - times.startedAt, 1)
        return times.cpuSeconds / lifetime * 100
    }
}
