import Foundation
import TestSupport
import Testing

@testable import TelemetryReport

/// The order in which the spooler looks for its configuration: --config, $SPOOLER_CONFIG, the
/// system file when it exists, ./spooler.conf when it exists, else the built-in defaults. The
/// system path and the working directory are given explicitly, so nothing is written to /etc.
@Suite("Configuration lookup")
struct ConfigurationLocationTests {
    /// A system folder (standing in for /etc/telemetry-spool) and a working directory, each with
    /// a configuration naming a different product version, so that the one read is visible.
    struct Places {
        let root: TemporaryDirectory
        var system: String { root.file("etc/spooler.conf") }
        var working: String { root.file("work") }
        var named: String { root.file("named.conf") }

        init() throws {
            root = try TemporaryDirectory("config-lookup")
            try FileManager.default.createDirectory(atPath: root.file("etc"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root.file("work"), withIntermediateDirectories: true)
            try "product_version = 1.0.1\n".write(toFile: system, atomically: true, encoding: .utf8)
            try "product_version = 1.0.2\n".write(toFile: working + "/spooler.conf", atomically: true, encoding: .utf8)
            try "product_version = 1.0.3\n".write(toFile: named, atomically: true, encoding: .utf8)
        }

        func load(_ option: String? = nil, environment: [String: String] = [:], system: String? = nil) throws -> SpoolerConfiguration {
            try SpoolerConfiguration.load(path: option, environment: environment, systemPath: system ?? self.system, workingDirectory: working)
        }
    }

    @Test("--config comes first, even when $SPOOLER_CONFIG and the other files exist", .timeLimit(.minutes(1)))
    func option() throws {
        let places = try Places()
        let configuration = try places.load(places.named, environment: ["SPOOLER_CONFIG": places.system])
        #expect(configuration.productVersion == "1.0.3")
        #expect(configuration.location == ConfigurationLocation(path: places.named, origin: .option))
        #expect(configuration.location.description == "configuration: \(places.named) (--config)")
    }

    @Test("$SPOOLER_CONFIG comes before the system file and ./spooler.conf; empty means unset", .timeLimit(.minutes(1)))
    func environment() throws {
        let places = try Places()
        let configuration = try places.load(environment: ["SPOOLER_CONFIG": places.named])
        #expect(configuration.productVersion == "1.0.3")
        #expect(configuration.location.origin == .environment)
        #expect(configuration.location.description == "configuration: \(places.named) ($SPOOLER_CONFIG)")
        #expect(try places.load(environment: ["SPOOLER_CONFIG": ""]).location.origin == .system)
    }

    @Test("the system file comes before ./spooler.conf when it exists", .timeLimit(.minutes(1)))
    func system() throws {
        let places = try Places()
        let configuration = try places.load()
        #expect(configuration.productVersion == "1.0.1")
        #expect(configuration.location == ConfigurationLocation(path: places.system, origin: .system))
        #expect(configuration.location.description == "configuration: \(places.system) (the system configuration)")
        // Relative paths in it are relative to its own folder, as for any configuration file.
        #expect(configuration.resolve("license.key") == places.root.file("etc/license.key"))
    }

    @Test("without the system file, ./spooler.conf (the demo in a fresh clone)", .timeLimit(.minutes(1)))
    func workingDirectory() throws {
        let places = try Places()
        let configuration = try places.load(system: places.root.file("etc/absent.conf"))
        #expect(configuration.productVersion == "1.0.2")
        #expect(configuration.location == ConfigurationLocation(path: places.working + "/spooler.conf", origin: .workingDirectory))
        #expect(configuration.location.description.hasSuffix("(in the working directory)"))
    }

    @Test("with no file anywhere, the built-in defaults, and the message names every place looked at", .timeLimit(.minutes(1)))
    func none() throws {
        let places = try Places()
        try FileManager.default.removeItem(atPath: places.working + "/spooler.conf")
        let configuration = try places.load(system: places.root.file("etc/absent.conf"))
        #expect(configuration == SpoolerConfiguration())
        #expect(configuration.location.origin == .none)
        #expect(
            configuration.location.description
                == "no configuration file (none given with --config or $SPOOLER_CONFIG, none at /etc/telemetry-spool/spooler.conf or ./spooler.conf): built-in defaults"
        )
    }

    @Test("a file named by --config or $SPOOLER_CONFIG must exist: the error names it, with no fallback", .timeLimit(.minutes(1)))
    func namedFileMissing() throws {
        let places = try Places()
        let missing = places.root.file("missing.conf")
        let byOption = #expect(throws: ConfigurationError.self) { try places.load(missing) }
        #expect(byOption?.file == missing)
        #expect(byOption?.description.hasPrefix("\(missing): ") == true)
        let byEnvironment = #expect(throws: ConfigurationError.self) { try places.load(environment: ["SPOOLER_CONFIG": missing]) }
        #expect(byEnvironment?.file == missing)
        #expect(byEnvironment?.description.hasSuffix("(named by $SPOOLER_CONFIG)") == true)
    }

    @Test("an unreadable system file is an error naming it, never skipped for ./spooler.conf", .timeLimit(.minutes(1)))
    func systemFileUnreadable() throws {
        let places = try Places()
        // A directory where the file should be: it exists, so it is chosen, and cannot be read.
        try FileManager.default.createDirectory(atPath: places.root.file("etc/dir.conf"), withIntermediateDirectories: true)
        let error = #expect(throws: ConfigurationError.self) { try places.load(system: places.root.file("etc/dir.conf")) }
        #expect(error?.file == places.root.file("etc/dir.conf"))
    }
}
