// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// The commit `--version` prints: `make` sets TELEMETRYSPOOL_COMMIT (`git rev-parse --short=12 HEAD`,
// `-dirty` when the tree has changes); a plain `swift build` leaves it empty. Only the characters
// a commit spelling uses pass, so the value cannot break the C string it becomes.
let buildCommit = String((Context.environment["TELEMETRYSPOOL_COMMIT"] ?? "").filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }.prefix(64))

let package = Package(
    name: "TelemetrySpool",
    platforms: [.macOS(.v15)],
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
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        // Networking and storage: uploader and receiver only, never the spooler.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // The receiver's dashboard templates and its Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The receiver's PostgreSQL store.
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        // Tests only: property checks.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", exact: "2.0.1"),
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
        // The wire contract both sides import: entry requests, tombstones, sequence ranges,
        // batch manifests.
        .target(
            name: "SpoolProtocol",
            dependencies: [
                "SpoolFormat",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SpoolStore",
            dependencies: [
                "SpoolFormat",
                "SpoolProtocol",
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
                "SpoolProtocol",
                "SpoolStore",
                "CSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),

        // Connected side: replay with a retry ledger, and the reference receiver.
        // The SQLite schema both the ledger and the receiver's store declare.
        .target(
            name: "SequenceDatabase",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReplayClient",
            dependencies: [
                "SpoolFormat",
                "SpoolProtocol",
                "SequenceDatabase",
                "SpoolStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReceiverServer",
            dependencies: [
                "SpoolFormat",
                "SpoolProtocol",
                "SequenceDatabase",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // Command-line conventions shared by the executables (exit statuses, the version).
        .target(
            name: "CommandLineSupport",
            dependencies: ["CBuildInfo", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        // The build's commit, set from the environment (see buildCommit above).
        .target(
            name: "CBuildInfo",
            cSettings: [.define("TELEMETRYSPOOL_COMMIT", to: "\"\(buildCommit)\"")]
        ),

        // Executables: argument parsing and wiring only.
        .executableTarget(
            name: "spooler",
            dependencies: [
                "CommandLineSupport",
                "SpoolFormat",
                "SpoolProtocol",
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
            dependencies: [
                "ReplayClient", "SpoolFormat", "SpoolProtocol", "SpoolStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/spool-bench-fixture",
            swiftSettings: swiftSettings
        ),

        // Tests
        .testTarget(
            name: "SpoolFormatTests",
            dependencies: [
                "SpoolFormat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Vectors")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpoolProtocolTests",
            dependencies: [
                "spooler", "SpoolProtocol", "SpoolFormat", "ReceiverServer", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpoolStoreTests",
            dependencies: ["SpoolStore", "SpoolFormat", "SpoolProtocol", "TestSupport"],
            // The batch vector is read in place (#filePath), so stock tools run on the committed files.
            exclude: ["Vectors"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpoolerCommandTests",
            dependencies: ["spooler", "receiver", "SpoolFormat", "SpoolProtocol", "SpoolStore", "TelemetryReport", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TelemetryReportTests",
            dependencies: ["spooler", "TelemetryReport", "SpoolStore", "SpoolFormat", "SpoolProtocol", "TestSupport", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CommandLineSupportTests",
            dependencies: ["spooler", "uploader", "receiver", "CommandLineSupport", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReceiverServerTests",
            dependencies: [
                "ReceiverServer", "SpoolFormat", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReplayTests",
            dependencies: [
                "spooler", "uploader", "receiver", "ReplayClient", "ReceiverServer", "SpoolFormat", "SpoolProtocol", "SpoolStore", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzzing: Fuzz/run.sh sets TELEMETRYSPOOL_FUZZ to add the libFuzzer targets (they do not link
// in an ordinary build or `swift test`).
if Context.environment["TELEMETRYSPOOL_FUZZ"] != nil {
    // One target per reader of untrusted input; Fuzz/run.sh builds and runs each.
    let fuzzers: [(name: String, dependencies: [Target.Dependency])] = [
        ("entry-fuzzer", ["SpoolFormat"]),
        ("config-fuzzer", ["TelemetryReport"]),
        ("signers-fuzzer", ["SpoolFormat"]),
        ("request-fuzzer", ["SpoolProtocol"]),
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
