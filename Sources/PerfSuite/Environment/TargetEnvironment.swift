import Logging
import ArchMeshDatabase
import LoadEngine
import NIOSSL
import TargetMonitoring

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
    /// True when the database is a throwaway one made for this run: its data may be reset.
    var ownsData: Bool { get }
    /// How the load and the side calls speak TLS to an https:// target.
    var tls: TLSOptions { get }
    /// HTTP/2: streams per connection the load uses; nil for HTTP/1.1.
    var http2Streams: Int? { get }
    /// PostgreSQL's own log, when the harness runs the cluster: where `PlanCapture` reads plans.
    var databaseLog: String? { get }
    /// The server's process, when the harness started it (what `--profile` records).
    var serverPID: Int32? { get }
}

extension TargetEnvironment {
    public var ownsData: Bool { false }
    public var tls: TLSOptions { TLSOptions() }
    public var http2Streams: Int? { nil }
    public var databaseLog: String? { nil }
    public var serverPID: Int32? { nil }

    /// The side calls' TLS (the target's `/metrics`), nil for plain HTTP.
    var sideChannelTLS: TLSConfiguration? { target.scheme == .https ? tls.sideChannelConfiguration() : nil }

    /// Makes the database hold what a scenario needs. A throwaway database is reset to exactly the
    /// scenario's dataset (empty without one), so that every scenario, and every repetition of it,
    /// starts from the same data whatever ran before. Any other database only gets the dataset
    /// seeded (never emptied); without a database that cannot be done, and the note says so.
    func prepare(_ dataset: Dataset?, logger: Logger) async throws -> String? {
        let options = Seeder.Options(
            projects: dataset?.projects ?? 0, workflowsPerProject: dataset?.workflowsPerProject ?? 0, reset: ownsData)
        guard ownsData || dataset != nil else { return nil }
        guard let database else {
            return "dataset of \(options.projects) projects not seeded: no DATABASE_URL for the target's database"
        }
        _ = try await Seeder().seed(database, options: options, logger: logger)
        return nil
    }
}
