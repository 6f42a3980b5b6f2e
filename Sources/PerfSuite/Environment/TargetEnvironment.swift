import Logging
import ArchMeshDatabase
import LoadEngine

/// What the suite runs against: a server to load, how to watch its resources, and (when it has
/// one) its database, for seeding datasets and reading `pg_stat_statements`.
public protocol TargetEnvironment: Sendable {
    var target: LoadTarget { get }
    /// The database behind the server, when the harness can reach it.
    var database: DatabaseURL? { get }
    /// How to measure the server's (and PostgreSQL's) CPU and memory.
    var monitorSource: ResourceMonitor.Source { get }
    /// The server's log file, when the harness started the server.
    var serverLog: String? { get }
    /// A line for the report: what ran where.
    var summary: String { get }
    /// Stops whatever the environment started; safe to call twice.
    func stop() async
    /// Replaces the server with a freshly started one, when the environment owns it; false when it
    /// cannot (a server the user runs).
    func restartServer() async throws -> Bool
}

extension TargetEnvironment {
    /// Seeds `dataset` into the server's database; without a database it cannot, and says so.
    func prepare(_ dataset: Dataset, logger: Logger) async throws -> String? {
        guard let database else {
            return "dataset of \(dataset.projects) projects not seeded: no DATABASE_URL for the target's database"
        }
        _ = try await Seeder().seed(
            database, options: .init(projects: dataset.projects, workflowsPerProject: dataset.workflowsPerProject), logger: logger)
        return nil
    }
}
