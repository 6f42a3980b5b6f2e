// swift-tools-version: 6.1
import PackageDescription

/// Every target: `any` written for existentials, and complete concurrency checking.
let settings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("StrictConcurrency")]

let package = Package(
    name: "archmesh-perf",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "archmesh", targets: ["archmesh"]),
        .library(name: "ArchMeshServer", targets: ["ArchMeshServer"]),
        .library(name: "ArchMeshDatabase", targets: ["ArchMeshDatabase"]),
        .library(name: "LoadEngine", targets: ["LoadEngine"]),
        .library(name: "TargetMonitoring", targets: ["TargetMonitoring"]),
        .library(name: "PerfSuite", targets: ["PerfSuite"]),
        .library(name: "RunHistory", targets: ["RunHistory"]),
        .library(name: "LiveDashboard", targets: ["LiveDashboard"]),
        .library(name: "Distribution", targets: ["Distribution"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
    ],
    targets: [
        // What both halves measure the same way: the Server-Timing contract, request IDs, clocks, /proc figures.
        .target(name: "Observability", swiftSettings: settings),
        // Child processes by posix_spawn and waitpid: PostgreSQL's tools, the watchdog, the measured server.
        .target(name: "Subprocesses", swiftSettings: settings),
        // The embedded cluster, migrations and seeding.
        .target(
            name: "ArchMeshDatabase",
            dependencies: [
                "Observability",
                "Subprocesses",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Migrations")],
            swiftSettings: settings
        ),
        // The reference server.
        .target(
            name: "ArchMeshServer",
            dependencies: [
                "ArchMeshDatabase",
                "Observability",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/openapi.json")],
            swiftSettings: settings
        ),
        // Linux's epoll and eventfd for the load engine's own socket loop.
        .target(name: "CSocketEvents"),
        // Load generation: transport, load models, recording, the run.
        .target(
            name: "LoadEngine",
            dependencies: [
                "Observability",
                "CSocketEvents",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: settings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // What the harness watches beside the load: /proc readings, /metrics scrapes, the side-channel HTTP client.
        .target(
            name: "TargetMonitoring",
            dependencies: [
                "Observability",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: settings
        ),
        // Scenarios, the runner, analysis, verdicts and the report writers.
        .target(
            name: "PerfSuite",
            dependencies: [
                "LoadEngine",
                "TargetMonitoring",
                "ArchMeshDatabase",
                "Subprocesses",
                "Observability",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: settings
        ),
        // Every run recorded in PostgreSQL: listing, past reports, trends, baselines from history.
        .target(
            name: "RunHistory",
            dependencies: [
                "ArchMeshDatabase",
                "Observability",
                "PerfSuite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Migrations")],
            swiftSettings: settings
        ),
        // A Hummingbird router served in the background while a command runs (dashboard, coordinator).
        .target(
            name: "HTTPServing",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        // A run spread over worker processes (or pods): the coordinator, the worker, their messages.
        .target(
            name: "Distribution",
            dependencies: [
                "HTTPServing",
                "Subprocesses",
                "LoadEngine",
                "Observability",
                "PerfSuite",
                "TargetMonitoring",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        // The live dashboard: a command's state as it runs, served on loopback with its page.
        .target(
            name: "LiveDashboard",
            dependencies: [
                "HTTPServing",
                "LoadEngine",
                "Observability",
                "PerfSuite",
                "TargetMonitoring",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "archmesh",
            dependencies: [
                "Distribution",
                "LiveDashboard",
                "RunHistory",
                "ArchMeshServer",
                "ArchMeshDatabase",
                "LoadEngine",
                "Observability",
                "PerfSuite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        // Real PostgreSQL for every test target: one embedded cluster per process, a database per suite.
        .target(
            name: "TestSupport",
            dependencies: [
                "ArchMeshDatabase",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: settings
        ),
        .testTarget(
            name: "ArchMeshDatabaseTests",
            dependencies: [
                "ArchMeshDatabase", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "ArchMeshServerTests",
            dependencies: [
                "ArchMeshServer",
                "ArchMeshDatabase",
                "LoadEngine",
                "Observability",
                "PerfSuite",
                "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "LoadEngineTests",
            dependencies: [
                "LoadEngine",
                "Observability",
                "PerfSuite",
                "TestSupport",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: settings
        ),
        .testTarget(name: "PerfSuiteTests", dependencies: ["PerfSuite", "LoadEngine", "Observability"], swiftSettings: settings),
        .testTarget(name: "SubprocessesTests", dependencies: ["Subprocesses"], swiftSettings: settings),
        // The original suite's seventeen tests, and the server's contract, against this build's `archmesh serve`
        // as a child process (the `archmesh` dependency builds the executable with the tests).
        .testTarget(
            name: "PerformanceTests",
            dependencies: [
                "PerfSuite", "LoadEngine", "TargetMonitoring", "ArchMeshDatabase", "Observability", "Subprocesses", "TestSupport", "RunHistory", "LiveDashboard", "Distribution", "archmesh",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
    ]
)
