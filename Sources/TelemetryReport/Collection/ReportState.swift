import FoundationEssentials
import SpoolStore

/// What the spooler remembers between reports, in the state directory (`report-state.json`):
/// when the last report was spooled, and the CPU sample of the watched process at that moment,
/// so the next report carries the CPU average over the interval between the two.
public struct ReportState: Codable, Equatable, Sendable {
    public static let fileName = "report-state.json"

    /// Unix time of the last spooled report.
    public var lastReportAt: Double?
    public var cpu: CPUSample?

    public init(lastReportAt: Double? = nil, cpu: CPUSample? = nil) {
        self.lastReportAt = lastReportAt
        self.cpu = cpu
    }

    /// The saved state; an empty one when there is none or it cannot be read (it only refines
    /// the CPU average and the schedule, so a damaged file is never a reason to stop reporting).
    public static func load(from state: StateDirectory) -> ReportState {
        guard let bytes = try? FileSystem.read(FileSystem.path(fileName, in: state.path), maxBytes: 64 * 1024),
            let decoded = try? JSONDecoder().decode(ReportState.self, from: Data(bytes))
        else { return ReportState() }
        return decoded
    }

    /// Replaces the saved state atomically and durably.
    public func save(to state: StateDirectory) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try FileSystem.makeDirectory(state.path, permissions: 0o700)
        try DurableDirectory(path: state.path).publish([UInt8](try encoder.encode(self)) + [0x0a], as: Self.fileName, permissions: 0o600, replace: true)
    }
}

/// The CPU time a process had used at a moment, and how to recognise the same process later.
public struct CPUSample: Codable, Equatable, Sendable {
    public var pid: Int32
    /// The process's start, in seconds since boot: a reused pid has another.
    public var processStart: Double
    public var bootID: String?
    public var cpuSeconds: Double
    /// Unix time of the sample.
    public var wallTime: Double

    public init(pid: Int32, processStart: Double, bootID: String?, cpuSeconds: Double, wallTime: Double) {
        self.pid = pid
        self.processStart = processStart
        self.bootID = bootID
        self.cpuSeconds = cpuSeconds
        self.wallTime = wallTime
    }

    /// Whether `previous` was taken of the same process, earlier, in the same boot.
    public func continues(_ previous: CPUSample) -> Bool {
        previous.pid == pid && abs(previous.processStart - processStart) < 0.05 && previous.bootID == bootID
            && wallTime - previous.wallTime >= 1 && cpuSeconds >= previous.cpuSeconds
    }
}
