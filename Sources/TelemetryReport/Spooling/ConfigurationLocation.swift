import SpoolFormat

#if canImport(Glibc)
    import Glibc
#endif

/// Which configuration file the spooler reads, and why that one.
///
/// The order: `--config FILE`, else `$SPOOLER_CONFIG`, else the system file
/// `/etc/telemetry-spool/spooler.conf` when it exists, else `./spooler.conf` when it exists (the
/// repository's demo), else none (built-in defaults). A file named by the option or the variable
/// must exist: loading it reports the missing file rather than falling back silently.
public struct ConfigurationLocation: Sendable, Equatable, CustomStringConvertible {
    public enum Origin: Sendable, Equatable {
        case option, environment, system, workingDirectory, none
    }

    public static let environmentVariable = "SPOOLER_CONFIG"
    public static let systemPath = "/etc/telemetry-spool/spooler.conf"
    public static let workingDirectoryPath = "spooler.conf"
    /// The order without the option, as the help and messages state it.
    public static let defaultOrder = "$\(environmentVariable), else \(systemPath) when it exists, else ./\(workingDirectoryPath) when it exists"

    /// The file to read; nil with ``Origin/none``.
    public var path: String?
    public var origin: Origin

    public init(path: String?, origin: Origin) {
        self.path = path
        self.origin = origin
    }

    /// Follows the order. `systemPath` and `workingDirectory` are parameters so that tests need
    /// neither write to /etc nor change the process's working directory.
    public static func find(
        option: String?, environment: [String: String], systemPath: String = systemPath, workingDirectory: String? = nil
    ) -> ConfigurationLocation {
        if let option { return ConfigurationLocation(path: option, origin: .option) }
        if let named = environment[environmentVariable], !named.isEmpty { return ConfigurationLocation(path: named, origin: .environment) }
        if exists(systemPath) { return ConfigurationLocation(path: systemPath, origin: .system) }
        let local = workingDirectory.map { $0 + "/" + workingDirectoryPath } ?? workingDirectoryPath
        if exists(local) { return ConfigurationLocation(path: local, origin: .workingDirectory) }
        return ConfigurationLocation(path: nil, origin: .none)
    }

    /// Whether anything is at `path` (following symbolic links): an unreadable file there is
    /// still chosen, so that the error names it instead of another file being read.
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    /// What the commands print, e.g. `configuration: /etc/telemetry-spool/spooler.conf (the system configuration)`.
    public var description: String {
        guard let path else {
            return
                "no configuration file (none given with --config or $\(Self.environmentVariable), none at \(Self.systemPath) or ./\(Self.workingDirectoryPath)): built-in defaults"
        }
        let why: String
        switch origin {
        case .option: why = "--config"
        case .environment: why = "$\(Self.environmentVariable)"
        case .system: why = "the system configuration"
        case .workingDirectory: why = "in the working directory"
        case .none: why = ""
        }
        return "configuration: \(PrintableText.path(path)) (\(why))"
    }
}
