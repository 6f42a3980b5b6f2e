import Foundation
import LoadEngine

/// One scenario's outcome: first the original runner's keys, then ours.
public struct ScenarioResult: Codable, Sendable {
    // The original runner's report keys.
    public var name: String
    public var type: ScenarioType
    public var severity: Severity
    public var passed: Bool
    public var durationSeconds: Double
    public var totalRequests: Int
    public var successRatePercent: Double
    public var averageResponseTimeMs: Double
    public var p95ResponseTimeMs: Double
    public var requestsPerSecond: Double
    /// Nil when the server's CPU could not be measured.
    public var maxCPUPercent: Double?
    public var maxMemoryMB: Double?
    public var thresholdViolations: [String]
    public var errors: [String]

    // Ours.
    public var key: String
    public var description: String
    public var interrupted: Bool
    public var errorRatePercent: Double
    public var loadModel: String
    public var dataset: Dataset?
    public var thresholds: Thresholds
    public var violations: [ThresholdViolation]
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
    /// With `--repeat N`: each repetition's figures, in order. The rest of this result is the
    /// repetition whose p50 was the median.
    public var repetitions: [RepetitionFigures] = []

    enum CodingKeys: String, CodingKey {
        case name, type, severity, passed
        case durationSeconds = "duration_seconds"
        case totalRequests = "total_requests"
        case successRatePercent = "success_rate_percent"
        case averageResponseTimeMs = "average_response_time_ms"
        case p95ResponseTimeMs = "p95_response_time_ms"
        case requestsPerSecond = "requests_per_second"
        case maxCPUPercent = "max_cpu_percent"
        case maxMemoryMB = "max_memory_mb"
        case thresholdViolations = "threshold_violations"
        case errors
        case key, description, interrupted
        case errorRatePercent = "error_rate_percent"
        case loadModel = "load_model"
        case dataset, thresholds, violations, load, resources, phases, analysis, leak, repetitions
    }

    /// The repetitions' figures; a single run's own when it was not repeated.
    public var figuresOfRepetitions: [RepetitionFigures] {
        repetitions.isEmpty ? load.map { [RepetitionFigures($0)] } ?? [] : repetitions
    }

    /// The server's series, when it was measured.
    public var serverResources: ResourceSeries? { resources.server }
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

    enum CodingKeys: String, CodingKey {
        case name
        case startSecond = "start_second"
        case endSecond = "end_second"
        case requests
        case requestsPerSecond = "requests_per_second"
        case p95Ms = "p95_ms"
        case errorRatePercent = "error_rate_percent"
    }
}
