import Foundation
import Logging

/// The database a command works on, and whether it must be torn down afterwards.
///
/// Commands resolve it in one order: `DATABASE_URL` when set, else the `archmesh db` cluster when it
/// is running, else a throwaway embedded cluster that `release()` stops and removes.
public struct DatabaseProvision: Sendable {
    public enum Origin: String, Sendable {
        case environment = "DATABASE_URL"
        case persistent = "archmesh db cluster"
        case embedded = "embedded throwaway cluster"
    }

    public let url: DatabaseURL
    public let origin: Origin
    /// The embedded cluster, when this provision made one.
    public let embedded: EmbeddedCluster?
    /// PostgreSQL's own log, when the cluster is one archmesh runs (embedded, or `archmesh db`).
    public var logFile: URL?

    /// Resolves the database as described above.
    public static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
    ) async throws -> DatabaseProvision {
        if let text = environment["DATABASE_URL"], !text.isEmpty {
            return DatabaseProvision(url: try DatabaseURL(parsing: text), origin: .environment, embedded: nil)
        }
        if let persistent = try? PersistentCluster(environment: environment), persistent.isRunning, let url = persistent.url {
            return DatabaseProvision(url: url, origin: .persistent, embedded: nil, logFile: persistent.logFile)
        }
        let cluster = try await EmbeddedCluster.start(logger: logger)
        return DatabaseProvision(url: cluster.url, origin: .embedded, embedded: cluster, logFile: cluster.logFile)
    }

    /// Stops and removes the embedded cluster, if there is one; other databases are left as they are.
    public func release() async {
        await embedded?.stop()
    }
}
