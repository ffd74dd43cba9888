import Foundation

/// The payload schema version this code writes.
public let currentPayloadSchema = 1

/// A collected report: the request body to spool and what it was made from.
public struct CollectedReport: Sendable {
    public var body: [UInt8]
    public var schema: Int
    public var productVersion: String
    public var requestPath: String
}

/// Collects one report from the configured sources.
public struct ReportCollector: Sendable {
    public var configuration: SpoolerConfiguration
    public var probe: HostProbe

    public init(configuration: SpoolerConfiguration, probe: HostProbe = HostProbe()) {
        self.configuration = configuration
        self.probe = probe
    }

    /// The report body for `installation`: compact JSON, sorted keys, ending in a newline.
    public func collect(installation: String) throws -> CollectedReport {
        var metrics: [String: ReportValue] = [:]
        var diagnostics: [String: String] = [:]
        if let os = probe.operatingSystem() {
            metrics["host.os.name"] = .string(os.name)
            metrics["host.os.version"] = .string(os.version)
        } else {
            diagnostics["host.os.name"] = "unavailable"
        }
        metrics["host.architecture"] = .string(probe.architecture())
        metrics["host.container"] = .bool(probe.isContainer())

        let pid = configuration.watchPidFile.flatMap(probe.pid(fromFile:)) ?? configuration.watchProcess.flatMap(probe.pid(named:))
        if let pid, let rss = probe.residentBytes(pid: pid), let times = probe.cpuTimes(pid: pid), let uptime = probe.uptime() {
            metrics["server.memory.bytes"] = .int(Int64(rss))
            let lifetime = max(uptime - times.startedAt, 1)
            metrics["server.cpu.percent"] = .double((times.cpuSeconds / lifetime * 100 * 100).rounded() / 100)
        } else {
            let code = configuration.watchPidFile == nil && configuration.watchProcess == nil ? "not_configured" : "process_not_found"
            diagnostics["server.memory.bytes"] = code
            diagnostics["server.cpu.percent"] = code
        }
        let body = ReportBody(
            schema: currentPayloadSchema, installation: installation, productVersion: configuration.productVersion,
            metrics: metrics,
            diagnostics: diagnostics.map { ReportBody.Diagnostic(metric: $0.key, error: $0.value) }.sorted { $0.metric < $1.metric })
        return CollectedReport(body: try body.encoded(), schema: currentPayloadSchema, productVersion: configuration.productVersion,
                               requestPath: configuration.requestPath)
    }
}

/// A metric value as it appears in the body.
public enum ReportValue: Codable, Equatable, Sendable {
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)
    case counts([String: Int64])

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .counts(let v): try c.encode(v)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int64.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else { self = .counts(try c.decode([String: Int64].self)) }
    }
}

/// The request body: documented in docs/PAYLOAD.md.
public struct ReportBody: Codable, Equatable, Sendable {
    public struct Diagnostic: Codable, Equatable, Sendable {
        public var metric: String
        public var error: String
    }

    public var schema: Int
    public var installation: String
    public var productVersion: String
    public var metrics: [String: ReportValue]
    public var diagnostics: [Diagnostic]

    /// Compact JSON with sorted keys, then a newline: the same report always has the same bytes.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(self)) + [0x0a]
    }
}
