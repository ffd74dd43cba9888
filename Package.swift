// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "TelemetrySpool",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "spooler", targets: ["spooler"]),
        .executable(name: "uploader", targets: ["uploader"]),
        .executable(name: "receiver", targets: ["receiver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        // Networking and storage: uploader and receiver only, never the spooler.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // System libraries
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // Core libraries: no networking code in any of these (the spooler links them).
        .target(
            name: "SpoolFormat",
            dependencies: [
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SpoolStore",
            dependencies: [
                "SpoolFormat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TelemetryReport",
            dependencies: [
                "SpoolFormat",
                "SpoolStore",
                "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Connected side: replay with a retry ledger, and the reference receiver.
        .target(
            name: "ReplayClient",
            dependencies: [
                "SpoolFormat",
                "SpoolStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReceiverServer",
            dependencies: [
                "SpoolFormat",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),

        // Command-line conventions shared by the executables (exit statuses).
        .target(
            name: "CommandLineSupport",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),

        // Executables: argument parsing and wiring only.
        .executableTarget(
            name: "spooler",
            dependencies: [
                "CommandLineSupport",
                "SpoolFormat",
                "SpoolStore",
                "TelemetryReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "uploader",
            dependencies: [
                "CommandLineSupport",
                "ReplayClient",
                "SpoolFormat",
                "SpoolStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "receiver",
            dependencies: [
                "CommandLineSupport",
                "ReceiverServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Benchmarks
        .executableTarget(
            name: "spool-bench-fixture",
            dependencies: ["SpoolFormat", "SpoolStore", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/spool-bench-fixture",
            swiftSettings: swiftSettings
        ),

        // Tests
        .testTarget(
            name: "SpoolFormatTests",
            dependencies: ["SpoolFormat"],
            resources: [.copy("Vectors")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpoolStoreTests",
            dependencies: ["SpoolStore", "SpoolFormat", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpoolerCommandTests",
            dependencies: ["spooler", "receiver", "SpoolFormat", "SpoolStore", "TelemetryReport", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TelemetryReportTests",
            dependencies: ["spooler", "TelemetryReport", "SpoolStore", "SpoolFormat", "TestSupport", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CommandLineSupportTests",
            dependencies: ["spooler", "uploader", "receiver", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReceiverServerTests",
            dependencies: [
                "ReceiverServer", "SpoolFormat", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReplayTests",
            dependencies: [
                "uploader", "receiver", "ReplayClient", "ReceiverServer", "SpoolFormat", "SpoolStore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v5]
)

// Fuzzing: Fuzz/run.sh sets TELEMETRYSPOOL_FUZZ to add the libFuzzer targets (they do not link
// in an ordinary build or `swift test`).
if Context.environment["TELEMETRYSPOOL_FUZZ"] != nil {
    // One target per reader of untrusted input; Fuzz/run.sh builds and runs each.
    let fuzzers: [(name: String, dependencies: [Target.Dependency])] = [
        ("entry-fuzzer", ["SpoolFormat"]),
        ("config-fuzzer", ["TelemetryReport"]),
        ("signers-fuzzer", ["SpoolFormat"]),
        ("request-fuzzer", ["ReceiverServer", .product(name: "HTTPTypes", package: "swift-http-types")]),
    ]
    for fuzzer in fuzzers {
        package.targets.append(.executableTarget(
            name: fuzzer.name,
            dependencies: fuzzer.dependencies,
            path: "Fuzz/\(fuzzer.name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ))
    }
}
