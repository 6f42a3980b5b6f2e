import ArchMeshDatabase
import Foundation
import Logging
import Observability
import PerfSuite
import PostgresNIO

/// The run history in PostgreSQL: every recorded run with its whole report (any past report is
/// rebuilt from it exactly) and each scenario's summary figures, for listing, trends and baselines.
/// Its schema is migrations of its own (`Sources/RunHistory/Migrations`), in a ledger of its own, so
/// it may share a database with the server's schema or have one to itself.
public struct HistoryStore: Sendable {
    public let url: DatabaseURL
    let logger: Logger

    public init(url: DatabaseURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// "archhist" in ASCII: the history schema's advisory lock.
    static let lockKey: Int64 = 0x6172_6368_6869_7374

    public static func migrator() throws -> Migrator {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw DatabaseError.migrationsMissing("the run history's Migrations folder is not in its resource bundle")
        }
        return Migrator(migrations: try Migration.load(from: folder), ledger: "history_migrations", lockKey: lockKey)
    }

    /// Brings the history's schema up to date.
    public func migrate() async throws {
        try await Self.migrator().migrate(url, logger: logger)
    }

    // MARK: Recording

    /// Records a run's report; returns the run's number in the history.
    @discardableResult
    public func record(_ report: SuiteReport, reportFile: String?) async throws -> Int64 {
        let environment = report.environment
        let run = RunRow(
            kind: "run", startedAt: report.summary.startTime, endedAt: report.summary.endTime, build: environment.commit ?? "unknown",
            archmeshVersion: environment.archmeshVersion, configuration: environment.configuration,
            configurationDigest: environment.configurationDigest ?? "", scale: environment.scale, target: environment.target,
            interrupted: report.interrupted, passed: report.summary.passed, failed: report.summary.failed, reportFile: reportFile,
            json: String(decoding: try SuiteReport.encoder.encode(report), as: UTF8.self))
        let scenarios = report.scenarios.map { scenario in
            ScenarioRow(
                key: scenario.key, passed: scenario.passed, requests: scenario.totalRequests, requestsPerSecond: scenario.requestsPerSecond,
                errorRatePercent: scenario.errorRatePercent, p50: scenario.load?.latency.p50 ?? 0, p95: scenario.load?.latency.p95 ?? 0,
                p99: scenario.load?.latency.p99 ?? 0,
                objectives: scenario.objectives.map { ObjectiveOutcome(objective: $0.objective, actual: $0.actual, met: $0.met) })
        }
        return try await insert(run, scenarios)
    }

    /// Records a capacity search (`archmesh capacity`) under the key `capacityKey(report)`: its
    /// answer as the throughput, and the figures of the hold that gave it.
    @discardableResult
    public func record(_ report: CapacityReport, reportFile: String?) async throws -> Int64 {
        let answer = report.steps.last { $0.met && $0.rate == report.sustainedRate }
        let run = RunRow(
            kind: "capacity", startedAt: report.startedAt, endedAt: report.startedAt + report.searchSeconds,
            build: EnvironmentInfo.gitCommit() ?? "unknown", archmeshVersion: ArchMeshVersion.current,
            configuration: report.scenario.map { "scenario \($0)" } ?? report.endpoints.joined(separator: ", "), configurationDigest: "",
            scale: 1, target: report.target, interrupted: false, passed: report.maxSustainableRPS == nil ? 0 : 1,
            failed: report.maxSustainableRPS == nil ? 1 : 0, reportFile: reportFile,
            json: String(decoding: try ReportCoding.encoder.encode(report), as: UTF8.self))
        let requests = report.steps.reduce(0.0) { $0 + $1.achievedRPS * $1.seconds }
        let scenario = ScenarioRow(
            key: Self.capacityKey(report), passed: report.maxSustainableRPS != nil, requests: Int(requests.rounded()),
            requestsPerSecond: report.maxSustainableRPS ?? 0, errorRatePercent: answer?.errorPercent ?? 0, p50: answer?.latencyMs.p50 ?? 0,
            p95: answer?.latencyMs.p95 ?? 0, p99: answer?.latencyMs.p99 ?? 0, objectives: answer?.objectives ?? [])
        return try await insert(run, [scenario])
    }

    /// A capacity search's key among the scenarios: `capacity:` and its scenario, or its first endpoint.
    public static func capacityKey(_ report: CapacityReport) -> String {
        "capacity:" + (report.scenario ?? report.endpoints.first ?? report.target)
    }

    private struct RunRow {
        var kind: String
        var startedAt: Date
        var endedAt: Date
        var build: String
        var archmeshVersion: String
        var configuration: String
        var configurationDigest: String
        var scale: Double
        var target: String
        var interrupted: Bool
        var passed: Int
        var failed: Int
        var reportFile: String?
        var json: String
    }

    private struct ScenarioRow {
        var key: String
        var passed: Bool
        var requests: Int
        var requestsPerSecond: Double
        var errorRatePercent: Double
        var p50: Double
        var p95: Double
        var p99: Double
        var objectives: [ObjectiveOutcome]
    }

    private func insert(_ run: RunRow, _ scenarios: [ScenarioRow]) async throws -> Int64 {
        try await url.withConnection(logger: logger) { connection in
            _ = try await connection.query("BEGIN", logger: logger)
            do {
                let rows = try await connection.query("""
                    INSERT INTO history_runs (kind, started_at, ended_at, build, archmesh_version, configuration, configuration_digest,
                        scale, target, interrupted, passed, failed, report_file, report)
                    VALUES (\(run.kind), \(run.startedAt), \(run.endedAt), \(run.build), \(run.archmeshVersion), \(run.configuration),
                        \(run.configurationDigest), \(run.scale), \(run.target), \(run.interrupted), \(run.passed), \(run.failed),
                        \(run.reportFile), \(run.json)::jsonb)
                    RETURNING id
                    """, logger: logger)
                var id: Int64 = 0
                for try await value in rows.decode(Int64.self) { id = value }
                for scenario in scenarios {
                    let objectives = String(decoding: try JSONEncoder().encode(scenario.objectives), as: UTF8.self)
                    _ = try await connection.query("""
                        INSERT INTO history_scenarios (run_id, key, passed, requests, requests_per_second, error_rate_percent,
                            p50_ms, p95_ms, p99_ms, objectives)
                        VALUES (\(id), \(scenario.key), \(scenario.passed), \(scenario.requests), \(scenario.requestsPerSecond),
                            \(scenario.errorRatePercent), \(scenario.p50), \(scenario.p95), \(scenario.p99), \(objectives)::jsonb)
                        ON CONFLICT (run_id, key) DO NOTHING
                        """, logger: logger)
                }
                _ = try await connection.query("COMMIT", logger: logger)
                return id
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    // MARK: Reading

    /// Recorded runs, newest first: those with `scenario` among their scenarios, of `build` (a
    /// prefix of it), started at or after `since`; at most `limit`.
    public func runs(scenario: String? = nil, build: String? = nil, since: Date? = nil, limit: Int = 20) async throws -> [RecordedRun] {
        let buildPattern = build.map { $0.replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        return try await url.withConnection(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT r.id, r.kind, r.started_at, r.ended_at, r.build, r.archmesh_version, r.configuration, r.scale, r.target, r.interrupted,
                    r.passed, r.failed, COALESCE(array_agg(s.key ORDER BY s.key) FILTER (WHERE s.key IS NOT NULL), '{}')
                FROM history_runs r LEFT JOIN history_scenarios s ON s.run_id = r.id
                WHERE (\(scenario)::text IS NULL OR EXISTS (SELECT 1 FROM history_scenarios f WHERE f.run_id = r.id AND f.key = \(scenario)))
                    AND (\(buildPattern)::text IS NULL OR r.build LIKE \(buildPattern))
                    AND (\(since)::timestamptz IS NULL OR r.started_at >= \(since))
                GROUP BY r.id
                ORDER BY r.started_at DESC, r.id DESC
                LIMIT \(limit)
                """, logger: logger)
            var runs: [RecordedRun] = []
            for try await (id, kind, started, ended, build, version, configuration, scale, target, interrupted, passed, failed, keys) in rows.decode(
                (Int64, String, Date, Date, String, String, String, Double, String, Bool, Int, Int, [String]).self)
            {
                runs.append(RecordedRun(
                    id: id, kind: kind, startedAt: started, endedAt: ended, build: build, archmeshVersion: version, configuration: configuration,
                    scale: scale, target: target, interrupted: interrupted, passed: passed, failed: failed,
                    scenarios: keys))
            }
            return runs
        }
    }

    /// A recorded run's report, as it was written: a suite's, or a capacity search's; with
    /// `scenario`, a suite's report holds that scenario alone (chosen in the database, so a trend
    /// does not read every scenario of every run).
    public func recorded(run id: Int64, scenario: String? = nil) async throws -> RecordedReport {
        let found: (String, String)? = try await url.withConnection(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT kind, CASE WHEN \(scenario)::text IS NULL OR kind <> 'run' THEN report ELSE jsonb_set(report, '{scenarios}',
                    COALESCE((SELECT jsonb_agg(s) FROM jsonb_array_elements(report->'scenarios') s WHERE s->>'key' = \(scenario)), '[]'::jsonb))
                    END::text
                FROM history_runs WHERE id = \(id)
                """, logger: logger)
            var found: (String, String)?
            for try await row in rows.decode((String, String).self) { found = row }
            return found
        }
        guard let (kind, text) = found else { throw HistoryError.noSuchRun(id) }
        do {
            if kind == "capacity" { return .capacity(try ReportCoding.decoder.decode(CapacityReport.self, from: Data(text.utf8))) }
            return .suite(try SuiteReport.decoder.decode(SuiteReport.self, from: Data(text.utf8)))
        } catch {
            throw HistoryError.unreadable(id, "\(error)")
        }
    }

    /// A recorded suite run's report, as it was written (with `scenario`, that scenario alone).
    public func report(run id: Int64, scenario: String? = nil) async throws -> SuiteReport {
        guard case .suite(let report) = try await recorded(run: id, scenario: scenario) else { throw HistoryError.notASuiteRun(id) }
        return report
    }

    /// The figures of `scenario` in its last `last` complete recorded runs (started at or after
    /// `since`, if given), oldest first.
    public func trend(scenario: String, last: Int, since: Date? = nil) async throws -> [TrendPoint] {
        try await url.withConnection(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT * FROM (
                    SELECT r.id, r.kind, r.started_at, r.build, s.passed, s.requests, s.requests_per_second, s.error_rate_percent,
                        s.p50_ms, s.p95_ms, s.p99_ms, s.objectives::text
                    FROM history_scenarios s JOIN history_runs r ON r.id = s.run_id
                    WHERE s.key = \(scenario) AND NOT r.interrupted AND (\(since)::timestamptz IS NULL OR r.started_at >= \(since))
                    ORDER BY r.started_at DESC, r.id DESC
                    LIMIT \(last)
                ) newest ORDER BY started_at, id
                """, logger: logger)
            var points: [TrendPoint] = []
            for try await (id, kind, started, build, passed, requests, rate, errorRate, p50, p95, p99, objectives) in rows.decode(
                (Int64, String, Date, String, Bool, Int, Double, Double, Double, Double, Double, String).self)
            {
                let outcomes = (try? JSONDecoder().decode([ObjectiveOutcome].self, from: Data(objectives.utf8))) ?? []
                points.append(TrendPoint(
                    run: id, kind: kind, startedAt: started, build: build, passed: passed, requests: requests, requestsPerSecond: rate,
                    errorRatePercent: errorRate, p50: p50, p95: p95, p99: p99, objectives: outcomes))
            }
            return points
        }
    }
}

/// One recorded run, as `archmesh history` lists it.
public struct RecordedRun: Sendable, Equatable {
    public var id: Int64
    /// `run` (`archmesh run`) or `capacity` (`archmesh capacity`).
    public var kind: String
    public var startedAt: Date
    public var endedAt: Date
    public var build: String
    public var archmeshVersion: String
    public var configuration: String
    public var scale: Double
    public var target: String
    public var interrupted: Bool
    public var passed: Int
    public var failed: Int
    public var scenarios: [String]
}

/// A scenario's figures in one recorded run.
public struct TrendPoint: Sendable, Equatable {
    public var run: Int64
    public var kind: String
    public var startedAt: Date
    public var build: String
    public var passed: Bool
    public var requests: Int
    public var requestsPerSecond: Double
    public var errorRatePercent: Double
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var objectives: [ObjectiveOutcome]
}

/// A recorded report: a suite run's or a capacity search's.
public enum RecordedReport: Sendable {
    case suite(SuiteReport)
    case capacity(CapacityReport)
}

public enum HistoryError: Error, CustomStringConvertible, Equatable {
    case noSuchRun(Int64)
    case notASuiteRun(Int64)
    case unreadable(Int64, String)
    case noBaseline(String)

    public var description: String {
        switch self {
        case .noSuchRun(let id): "no run \(id) in the history; `archmesh history` lists them"
        case .notASuiteRun(let id): "run \(id) is a capacity search, not a run of the suite"
        case .unreadable(let id, let reason): "run \(id)'s recorded report cannot be read: \(reason)"
        case .noBaseline(let reason): reason
        }
    }
}
