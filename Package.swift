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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // System libraries
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
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
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TelemetryReport",
            dependencies: [
                "SpoolFormat",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Executables: argument parsing and wiring only.
        .executableTarget(
            name: "spooler",
            dependencies: [
                "SpoolFormat",
                "SpoolStore",
                "TelemetryReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
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
            dependencies: ["SpoolStore", "SpoolFormat"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpoolerCommandTests",
            dependencies: ["spooler", "SpoolFormat", "SpoolStore"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v5]
)
