import LoadEngine
import TargetMonitoring

/// The correlated view of one scenario: where each endpoint's time went, second by second, what
/// the database did, whether the counts agree, and the slowest requests as the server logged them.
public struct ScenarioAnalysis: Codable, Sendable, Equatable {
    public var breakdown: [TimeBreakdown]
    public var timeline: Timeline
    /// The rules behind the verdicts, as the report shows them.
    public var verdictRules: [String]
    /// The busiest statements by total time during the scenario (at most `topStatements`).
    public var statements: [StatementFigures]?
    public var reconciliation: Reconciliation
    public var exemplars: [LoggedExemplar]
    /// Real plans of the busiest statements, taken during the scenario (nil: PostgreSQL's log was not readable).
    public var plans: [CapturedPlan]?
    /// What to change, each with its evidence (`AdviceRules`).
    public var recommendations: [Recommendation]?

    public static let topStatements = 10

    public init(
        load: LoadResult, resources: [ResourceSeries], probe: CorrelationProbe.Readings, exemplarLog: [String: String], profile: ServerProfile? = nil
    ) {
        breakdown = load.endpoints.map(TimeBreakdown.init)
        timeline = Timeline(seconds: load.seconds, resources: resources)
        verdictRules = BottleneckRules.statement
        let statements = probe.statements
        self.statements = statements.map { Array($0.prefix(Self.topStatements)) }
        reconciliation = Reconciliation(load: load, server: probe.server, databaseQueries: statements.map { $0.reduce(0) { $0 + $1.calls } })
        exemplars = load.exemplars.map { LoggedExemplar(exemplar: $0, logLine: exemplarLog[$0.requestID]) }
        plans = probe.plans
        var evidence = AdviceEvidence(
            breakdown: breakdown, statements: statements ?? [], plans: probe.plans ?? [], requestsPerSecond: load.requestsPerSecond,
            totalRequests: load.totalRequests, databaseCPUPercent: resources.postgres.flatMap { $0.samples.isEmpty ? nil : $0.maxCPUPercent },
            serverCPUPercent: resources.server.flatMap { $0.samples.isEmpty ? nil : $0.maxCPUPercent }, poolSize: probe.server?.poolSize)
        evidence.profileTopFrames = profile?.topSelf ?? []
        recommendations = AdviceRules.recommendations(evidence)
    }
}

/// A slow request with the server's log line for the same request ID (when the log was readable).
public struct LoggedExemplar: Codable, Sendable, Equatable {
    public var exemplar: Exemplar
    public var logLine: String?
}
