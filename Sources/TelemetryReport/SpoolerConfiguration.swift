import Foundation

/// The spooler's configuration file: `key = value` lines, `#` comments, `[section]` headers.
///
/// A deliberately small format: every value is one line, and every error names the file and
/// line. Unknown keys are errors, so a typo never silently changes what is reported.
public struct SpoolerConfiguration: Sendable, Equatable {
    public static let defaultFileName = "spooler.conf"

    /// The version of the product whose telemetry is reported.
    public var productVersion: String = "0.0.0"
    /// Whether reports are spooled at all (on by default, as in the product).
    public var reporting: Bool = true
    /// Where the server process writes its pid, to measure its memory and CPU.
    public var watchPidFile: String?
    /// Or the server process's name (`/proc/PID/comm`).
    public var watchProcess: String?
    /// The path the uploader replays reports to.
    public var requestPath: String = "/api/telemetry"
    /// The file this configuration was read from, if any.
    public var source: String?

    public init() {}

    /// Loads `path`; with no path, `spooler.conf` in the working directory when it exists,
    /// otherwise the built-in defaults. `SPOOLER_REPORTING=off` in `environment` switches reporting off.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SpoolerConfiguration {
        var configuration = SpoolerConfiguration()
        let file = path ?? (FileManager.default.fileExists(atPath: defaultFileName) ? defaultFileName : nil)
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ConfigurationError(file: file, line: nil, reason: "cannot be read (missing or not readable)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ConfigurationError(file: file, line: nil, reason: "is not UTF-8 text")
            }
            try configuration.apply(text: text, file: file)
            configuration.source = file
        }
        if let value = environment["SPOOLER_REPORTING"] {
            guard let on = parseSwitch(value) else {
                throw ConfigurationError(file: "environment", line: nil, reason: "SPOOLER_REPORTING='\(value)' must be on or off")
            }
            configuration.reporting = on
        }
        return configuration
    }

    /// Applies the lines of a configuration text.
    public mutating func apply(text: String, file: String) throws {
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ reason: String) -> ConfigurationError { ConfigurationError(file: file, line: lineNumber, reason: reason) }
            guard let equals = line.firstIndex(of: "=") else { throw fail("expected 'key = value', found '\(line)'") }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { throw fail("'\(key)' has no value") }
            switch key {
            case "product_version":
                guard Self.isVersion(value) else { throw fail("product_version '\(value)' is not a version (digits, letters and . - + _)") }
                productVersion = value
            case "reporting":
                guard let on = Self.parseSwitch(value) else { throw fail("reporting must be on or off, not '\(value)'") }
                reporting = on
            case "watch_pid_file":
                watchPidFile = value
            case "watch_process":
                watchProcess = value
            case "request_path":
                guard value.hasPrefix("/"), !value.contains(where: { $0.isWhitespace }) else { throw fail("request_path '\(value)' must be an absolute path such as /api/telemetry") }
                requestPath = value
            default:
                throw fail("unknown key '\(key)'")
            }
        }
    }

    static func parseSwitch(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "on", "true", "yes": return true
        case "off", "false", "no": return false
        default: return nil
        }
    }

    static func isVersion(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 64 && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-+_".contains($0)) }
    }
}

/// A configuration error: the file, the line when known, and what is wrong.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var reason: String

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(reason)" }
}
