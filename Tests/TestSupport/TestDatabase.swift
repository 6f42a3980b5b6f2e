import ArchMeshDatabase
import Foundation
import Logging

/// Real PostgreSQL for tests: one embedded cluster per test process, and a fresh, migrated
/// database for each suite that asks, so suites running in parallel share no data.
public enum TestDatabase {
    private static let cluster = Task<EmbeddedCluster, any Error> {
        try await EmbeddedCluster.start(logger: logger)
    }

    public static let logger: Logger = {
        var logger = Logger(label: "archmesh.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["ARCHMESH_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        return logger
    }()

    /// The shared cluster (started on first use, stopped when the test process exits).
    public static func sharedCluster() async throws -> EmbeddedCluster {
        try await cluster.value
    }

    /// A new empty database on the shared cluster, not migrated.
    public static func emptyDatabase(prefix: String = "t") async throws -> DatabaseURL {
        let cluster = try await sharedCluster()
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))_\(UInt32.random(in: 0...UInt32.max))".lowercased()
        return try await cluster.createDatabase(named: name, logger: logger)
    }

    /// A new database with the package's schema applied.
    public static func migratedDatabase(prefix: String = "t") async throws -> DatabaseURL {
        let url = try await emptyDatabase(prefix: prefix)
        try await Migrator.bundled().migrate(url, logger: logger)
        return url
    }
}
