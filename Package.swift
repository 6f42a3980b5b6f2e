// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "archmesh-perf",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "archmesh", targets: ["archmesh"]),
        .library(name: "ArchMeshServer", targets: ["ArchMeshServer"]),
        .library(name: "ArchMeshDatabase", targets: ["ArchMeshDatabase"]),
        .library(name: "LoadEngine", targets: ["LoadEngine"]),
        .library(name: "PerfSuite", targets: ["PerfSuite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // What both halves measure the same way: the Server-Timing contract, request IDs, clocks, /proc figures.
        .target(name: "Observability"),
        // Child processes by posix_spawn and waitpid: PostgreSQL's tools, the watchdog, the measured server.
        .target(name: "Subprocesses"),
        .target(
            name: "ArchMeshDatabase",
            dependencies: [
                "Subprocesses",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Migrations")]
        ),
        .target(
            name: "ArchMeshServer",
            dependencies: [
                "ArchMeshDatabase",
                "Observability",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/openapi.json")]
        ),
        .target(
            name: "LoadEngine",
            dependencies: [
                "Observability",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .target(
            name: "PerfSuite",
            dependencies: [
                "LoadEngine",
                "ArchMeshDatabase",
                "Subprocesses",
                "Observability",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "archmesh",
            dependencies: [
                "ArchMeshServer",
                "ArchMeshDatabase",
                "LoadEngine",
                "PerfSuite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Real PostgreSQL for every test target: one embedded cluster per process, a database per suite.
        .target(
            name: "TestSupport",
            dependencies: ["ArchMeshDatabase", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "ArchMeshDatabaseTests",
            dependencies: ["ArchMeshDatabase", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .testTarget(
            name: "ArchMeshServerTests",
            dependencies: [
                "ArchMeshServer",
                "ArchMeshDatabase",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "LoadEngineTests",
            dependencies: ["LoadEngine", .product(name: "NIOHTTP1", package: "swift-nio")]
        ),
        .testTarget(
            name: "PerfSuiteTests",
            dependencies: ["PerfSuite", "LoadEngine", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        // The original suite's seventeen tests, against this build's `archmesh serve` as a child process.
        .testTarget(
            name: "PerformanceTests",
            dependencies: [
                "PerfSuite", "LoadEngine", "ArchMeshDatabase", "Observability", "TestSupport", "archmesh",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
