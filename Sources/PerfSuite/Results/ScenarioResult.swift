import Foundation
import LoadEngine
import TargetMonitoring

/// One scenario's outcome. What it stores is what was measured and decided; the original runner's
/// flat figures (`average_response_time_ms`, `requests_per_second`, ...) are derived from the load
/// result when the report is written, so each fact has one home.
public struct ScenarioResult: Sendable {
    // What ran.
    public var key: String
    public var name: String
    public var description: String
    public var type: ScenarioType
    public var severity: Severity
    /// The load model as it ran (scaled).
    public var model: LoadModel
    public var dataset: Dataset?
    public var thresholds: Thresholds

    // How it went.
    public var passed: Bool
    public var interrupted: Bool
    /// Notes and failures in words: seeding, errors by kind, an interruption.
    public var errors: [String]
    /// Every threshold the scenario broke, once.
    public var violations: [ThresholdViolation]
    /// How each of the scenario's objectives went (over the run or in sliding windows), with its budget.
    public var objectives: [ObjectiveResult] = []
    /// Everything the load engine measured: percentiles, endpoints, per-second windows, exemplars, histograms.
    public var load: LoadResult?
    /// The server's (and PostgreSQL's) CPU and memory over the scenario.
    public var resources: [ResourceSeries]
    /// For a spike: how each phase went.
    public var phases: [PhaseResult]
    /// Where the time went: per-endpoint breakdown and verdict, per-second series, statements, reconciled counts.
    public var analysis: ScenarioAnalysis?
    /// Memory scenarios: the server's memory after each of several cycles and the trend's verdict.
    public var leak: LeakDetector.Verdict?
    /// Rate-limit scenarios: the limit observed and its checks.
    public var rateLimit: RateLimitObservation?
    /// Database scenarios: the API's throughput next to its database's for the same statements.
    public var database: DatabaseComparison?
    /// With `--profile`: the server's on-CPU profile over the scenario.
    public var profile: ServerProfile?
    /// With `--repeat N`: each repetition's figures, in order. The rest of this result is the
    /// repetition whose p50 was the median.
    public var repetitions: [RepetitionFigures]

    public init(
        scenario: Scenario, model: LoadModel, passed: Bool, interrupted: Bool, errors: [String], violations: [ThresholdViolation],
        load: LoadResult?, resources: [ResourceSeries], phases: [PhaseResult], analysis: ScenarioAnalysis? = nil,
        leak: LeakDetector.Verdict? = nil, repetitions: [RepetitionFigures] = []
    ) {
        key = scenario.key
        name = scenario.name
        description = scenario.description
        type = scenario.type
        severity = scenario.severity
        dataset = scenario.dataset
        thresholds = scenario.thresholds
        self.model = model
        self.passed = passed
        self.interrupted = interrupted
        self.errors = errors
        self.violations = violations
        self.load = load
        self.resources = resources
        self.phases = phases
        self.analysis = analysis
        self.leak = leak
        self.repetitions = repetitions
    }

    // The original runner's figures, derived.
    public var durationSeconds: Double { load?.durationSeconds ?? 0 }
    public var totalRequests: Int { load?.totalRequests ?? 0 }
    public var successRatePercent: Double { load?.successRatePercent ?? 0 }
    public var averageResponseTimeMs: Double { load?.latency.mean ?? 0 }
    public var p95ResponseTimeMs: Double { load?.latency.p95 ?? 0 }
    public var requestsPerSecond: Double { load?.requestsPerSecond ?? 0 }
    /// Nil when the server's CPU could not be measured.
    public var maxCPUPercent: Double? { measuredServer?.maxCPUPercent }
    public var maxMemoryMB: Double? { measuredServer?.maxMemoryMB }
    public var thresholdViolations: [String] { violations.map(\.message) }
    /// Why an objective stopped the scenario early, if one did.
    public var aborted: String? { load?.abortReason }
    /// Failed requests (transport errors and 5xx) as a percentage of all finished ones.
    public var errorRatePercent: Double {
        guard let load, load.totalRequests > 0 else { return 0 }
        return Double(load.failedRequests) * 100 / Double(load.totalRequests)
    }
    /// The load model in a line.
    public var loadModel: String { model.description }

    /// The server's series, when it was measured.
    public var serverResources: ResourceSeries? { resources.server }

    /// The server's series when it holds samples: what the resource figures and thresholds read.
    var measuredServer: ResourceSeries? { resources.server.flatMap { $0.samples.isEmpty ? nil : $0 } }

    /// The figures thresholds judge.
    var judgedFigures: JudgedFigures {
        JudgedFigures(
            averageMs: averageResponseTimeMs, p95Ms: p95ResponseTimeMs, requestsPerSecond: requestsPerSecond, maxCPUPercent: maxCPUPercent,
            maxMemoryMB: maxMemoryMB, successPercent: successRatePercent, errorRatePercent: errorRatePercent)
    }

    /// The repetitions' figures; a single run's own when it was not repeated.
    public var figuresOfRepetitions: [RepetitionFigures] {
        repetitions.isEmpty ? load.map { [RepetitionFigures($0)] } ?? [] : repetitions
    }
}

extension ScenarioResult: Codable {
    /// The original runner's keys first, then ours; keys are snake-cased by the report's encoder.
    enum CodingKeys: String, CodingKey {
        case name, type, severity, passed, durationSeconds, totalRequests, successRatePercent, averageResponseTimeMs, p95ResponseTimeMs
        case requestsPerSecond, maxCPUPercent, maxMemoryMB, thresholdViolations, errors
        case key, description, interrupted, errorRatePercent, loadModel, model, dataset, thresholds, violations, load, resources, phases
        case analysis, leak, repetitions, objectives, rateLimit, profile, database
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
        try container.encode(severity, forKey: .severity)
        try container.encode(passed, forKey: .passed)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try container.encode(totalRequests, forKey: .totalRequests)
        try container.encode(successRatePercent, forKey: .successRatePercent)
        try container.encode(averageResponseTimeMs, forKey: .averageResponseTimeMs)
        try container.encode(p95ResponseTimeMs, forKey: .p95ResponseTimeMs)
        try container.encode(requestsPerSecond, forKey: .requestsPerSecond)
        try container.encodeIfPresent(maxCPUPercent, forKey: .maxCPUPercent)
        try container.encodeIfPresent(maxMemoryMB, forKey: .maxMemoryMB)
        try container.encode(thresholdViolations, forKey: .thresholdViolations)
        try container.encode(errors, forKey: .errors)
        try container.encode(key, forKey: .key)
        try container.encode(description, forKey: .description)
        try container.encode(interrupted, forKey: .interrupted)
        try container.encode(errorRatePercent, forKey: .errorRatePercent)
        try container.encode(loadModel, forKey: .loadModel)
        try container.encode(model, forKey: .model)
        try container.encodeIfPresent(dataset, forKey: .dataset)
        try container.encode(thresholds, forKey: .thresholds)
        try container.encode(violations, forKey: .violations)
        try container.encodeIfPresent(load, forKey: .load)
        try container.encode(resources, forKey: .resources)
        try container.encode(phases, forKey: .phases)
        try container.encodeIfPresent(analysis, forKey: .analysis)
        try container.encodeIfPresent(leak, forKey: .leak)
        try container.encode(repetitions, forKey: .repetitions)
        try container.encode(objectives, forKey: .objectives)
        try container.encodeIfPresent(rateLimit, forKey: .rateLimit)
        try container.encodeIfPresent(database, forKey: .database)
        try container.encodeIfPresent(profile, forKey: .profile)
    }

    /// Reads what was stored; the derived figures are computed again.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decode(String.self, forKey: .key)
        name = try container.decode(String.self, forKey: .name)
        description = try container.decode(String.self, forKey: .description)
        type = try container.decode(ScenarioType.self, forKey: .type)
        severity = try container.decode(Severity.self, forKey: .severity)
        model = try container.decode(LoadModel.self, forKey: .model)
        dataset = try container.decodeIfPresent(Dataset.self, forKey: .dataset)
        thresholds = try container.decode(Thresholds.self, forKey: .thresholds)
        passed = try container.decode(Bool.self, forKey: .passed)
        interrupted = try container.decode(Bool.self, forKey: .interrupted)
        errors = try container.decode([String].self, forKey: .errors)
        violations = try container.decode([ThresholdViolation].self, forKey: .violations)
        load = try container.decodeIfPresent(LoadResult.self, forKey: .load)
        resources = try container.decode([ResourceSeries].self, forKey: .resources)
        phases = try container.decode([PhaseResult].self, forKey: .phases)
        analysis = try container.decodeIfPresent(ScenarioAnalysis.self, forKey: .analysis)
        leak = try container.decodeIfPresent(LeakDetector.Verdict.self, forKey: .leak)
        repetitions = try container.decode([RepetitionFigures].self, forKey: .repetitions)
        objectives = try container.decodeIfPresent([ObjectiveResult].self, forKey: .objectives) ?? []
        rateLimit = try container.decodeIfPresent(RateLimitObservation.self, forKey: .rateLimit)
        database = try container.decodeIfPresent(DatabaseComparison.self, forKey: .database)
        profile = try container.decodeIfPresent(ServerProfile.self, forKey: .profile)
    }
}

/// A phase of a spike, from its per-second windows.
public struct PhaseResult: Codable, Sendable, Equatable {
    public var name: String
    public var startSecond: Double
    public var endSecond: Double
    public var requests: Int
    public var requestsPerSecond: Double
    public var p95Ms: Double
    public var errorRatePercent: Double
}
