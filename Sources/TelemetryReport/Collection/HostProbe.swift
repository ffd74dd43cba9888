import FoundationEssentials
import SpoolFormat
import SpoolStore

#if canImport(Glibc)
    import Glibc
#endif

/// Figures about the host and the watched server process, read from the kernel.
public struct HostProbe: Sendable {
    /// Where `/proc`, `/etc/os-release` and the container markers are read (tests point it elsewhere).
    public var root: String

    public init(root: String = "/") { self.root = root }

    private func path(_ relative: String) -> String { FileSystem.path(relative, in: root) }

    private func text(_ relative: String) -> String? {
        guard let data = try? RegularFile.read(path(relative), maxBytes: 1 << 20, followSymlinks: true) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// `ID` and `VERSION_ID` of os-release, e.g. ("debian", "12").
    public func operatingSystem() -> (name: String, version: String)? {
        guard let release = text("etc/os-release") ?? text("usr/lib/os-release") else { return nil }
        var fields: [String: String] = [:]
        for line in release.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<eq])] = line[line.index(after: eq)...].trimmingScalars { $0 == "\"" || $0 == "'" }
        }
        guard let name = fields["ID"] else { return nil }
        return (name, fields["VERSION_ID"] ?? "unknown")
    }

    /// The CPU architecture as `uname -m` prints it.
    public func architecture() -> String {
        var info = utsname()
        uname(&info)
        return withUnsafePointer(to: &info.machine) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
    }

    /// True inside Docker, Podman, Kubernetes, LXC or systemd-nspawn.
    public func isContainer() -> Bool {
        if FileManager.default.fileExists(atPath: path(".dockerenv")) || FileManager.default.fileExists(atPath: path("run/.containerenv")) {
            return true
        }
        if let cgroup = text("proc/1/cgroup"), ["docker", "kubepods", "containerd", "lxc", "libpod"].contains(where: cgroup.contains) {
            return true
        }
        if let environ = text("proc/1/environ"), environ.split(separator: "\0").contains(where: { $0.hasPrefix("container=") }) {
            return true
        }
        return false
    }

    /// The pid of the first process whose `comm` is `name`.
    public func pid(named name: String) -> Int32? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path("proc")) else { return nil }
        for entry in names.compactMap(Int32.init).sorted() {
            if text("proc/\(entry)/comm")?.trimmingWhitespaceAndNewlines() == name { return entry }
        }
        return nil
    }

    public func pid(fromFile file: String) -> Int32? {
        // A pid file is small; a FIFO or device in its place is refused, not waited on.
        guard let data = try? RegularFile.read(file, maxBytes: 4096, followSymlinks: true),
            let lines = try? TextRules.lines(data)
        else { return nil }
        let values = lines.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        return values.count == 1 ? Int32(values[0]) : nil
    }

    /// Resident memory of a process, in bytes.
    public func residentBytes(pid: Int32) -> UInt64? {
        guard let status = text("proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = UInt64(fields[1]) { return kib * 1024 }
        }
        return nil
    }

    /// CPU time a process has used (user + system) and its start, both in seconds since boot.
    public func cpuTimes(pid: Int32) -> (cpuSeconds: Double, startedAt: Double)? {
        guard let stat = text("proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name, which may itself contain spaces and parentheses.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let utime = Double(fields[11]), let stime = Double(fields[12]), let start = Double(fields[19]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ((utime + stime) / ticks, start / ticks)
    }

    /// The kernel's boot ID: changes at every boot, so CPU samples of different boots are never compared.
    public func bootID() -> String? {
        text("proc/sys/kernel/random/boot_id")?.trimmingWhitespaceAndNewlines()
    }

    /// The os-release ID mapped onto the catalog's vocabulary (`other` when not listed).
    public func operatingSystemName() -> String? {
        guard let name = operatingSystem()?.name.lowercased() else { return nil }
        return MetricCatalog.operatingSystems.contains(name) ? name : "other"
    }

    /// The CPU architecture mapped onto the catalog's vocabulary.
    public func architectureName() -> String {
        Self.architectureName(architecture())
    }

    static func architectureName(_ machine: String) -> String {
        switch machine {
        case "x86_64", "amd64": return "x86_64"
        case "i386", "i486", "i586", "i686": return "x86"
        case "aarch64", "arm64": return "aarch64"
        case let arm where arm.hasPrefix("arm"): return "arm"
        case "ppc64le", "s390x", "riscv64": return machine
        default: return "other"
        }
    }

    /// Seconds since boot.
    public func uptime() -> Double? {
        text("proc/uptime")?.split(separator: " ").first.flatMap { Double($0) }
    }
}
