import ArchMeshDatabase
import Foundation
import Logging
import PostgresNIO

/// Real plans of the server's own statements, taken while a scenario runs: `auto_explain` is
/// loaded into every new session of the server's database and explains a sample of executions
/// (`log_analyze`, `log_buffers`, JSON) into PostgreSQL's log, which is read back per scenario.
/// PostgreSQL also logs a sample of executions with their parameters (`ExecutionLog`): what a
/// `database` scenario replays. The sampled executions carry the instrumentation's cost, so the
/// rate is low (`sampleRate`); `benchmarks/plans.sh` measures what it costs.
public enum PlanCapture {
    /// Share of executions explained.
    public static let sampleRate = 0.02

    /// Sets the database up before the server opens its connections (sessions started earlier
    /// are not explained). Needs a superuser, as on the clusters archmesh makes; otherwise returns
    /// why plans cannot be taken, and nothing is changed.
    public static func enable(in database: DatabaseURL, sampleRate: Double = sampleRate, logger: Logger) async -> String? {
        let name = quotedName(database)
        let settings = Self.settings(sampleRate: sampleRate).map { "\($0.name) = \($0.value)" }
        do {
            return try await database.withConnection(logger: logger) { connection in
                let superuser = try await connection.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", logger: logger)
                    .decode(Bool.self).first { _ in true } ?? false
                guard superuser else { return "plans not taken: the harness's database role is not a superuser (auto_explain needs one)" }
                // Every log line names its database, so that plans are told apart by database.
                _ = try await connection.query("ALTER SYSTEM SET log_line_prefix = '%m [%p] %d '", logger: logger)
                _ = try await connection.query("SELECT pg_reload_conf()", logger: logger)
                for setting in settings {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) SET \(setting)"), logger: logger)
                }
                return nil
            }
        } catch {
            return "plans not taken: \(String(reflecting: error))"
        }
    }

    /// The database's name as an SQL identifier (`ALTER DATABASE` takes no parameters).
    private static func quotedName(_ database: DatabaseURL) -> String {
        "\"" + database.database.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The database settings `enable` makes (`benchmarks/plans.sh` sets the same by hand).
    static func settings(sampleRate: Double) -> [(name: String, value: String)] {
        [
            ("session_preload_libraries", "'auto_explain'"), ("auto_explain.log_min_duration", "0"), ("auto_explain.log_analyze", "on"),
            ("auto_explain.log_buffers", "on"), ("auto_explain.log_format", "'json'"), ("auto_explain.sample_rate", "\(sampleRate)"),
            ("log_min_duration_sample", "0"), ("log_statement_sample_rate", "\(sampleRate)"), ("log_parameter_max_length", "-1"),
        ]
    }

    /// Takes the settings off a database the harness does not own (the `archmesh db` cluster's),
    /// so that servers started on it later are not sampled; the log line prefix stays (it only adds the name).
    public static func disable(in database: DatabaseURL, logger: Logger) async {
        let name = quotedName(database)
        _ = try? await database.withConnection(logger: logger) { connection in
            for (setting, _) in settings(sampleRate: sampleRate) {
                _ = try await connection.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) RESET \(setting)"), logger: logger)
            }
        }
    }

    /// The log's size now: where a scenario's plans begin.
    public static func offset(of log: String) -> UInt64 {
        (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? UInt64) ?? 0
    }

    /// The log from `offset` on: a scenario's part of it.
    public static func text(of log: String, from offset: UInt64) -> Substring? {
        guard let handle = FileHandle(forReadingAtPath: log) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd() else { return nil }
        return Substring(String(decoding: data, as: UTF8.self))
    }

    /// For each of `statements` (the busiest first), the slowest of its executions explained in
    /// `text` (the log); at most `limit` plans.
    public static func plans(in text: Substring, database: String, statements: [StatementFigures], limit: Int = 5) -> [CapturedPlan] {
        let logged = PlanLog.plans(in: text, database: database)
        let shapes = logged.map { StatementShape.of($0.query) }
        var chosen: [CapturedPlan] = []
        for statement in statements where chosen.count < limit {
            let shape = StatementShape.of(statement.query)
            let matching = logged.indices.filter { shapes[$0] == shape }.map { logged[$0] }
            if let slowest = matching.max(by: { $0.durationMilliseconds < $1.durationMilliseconds }) { chosen.append(slowest) }
        }
        return chosen
    }
}
