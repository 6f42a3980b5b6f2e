import LoadEngine

/// One repetition of a scenario, as the comparison across runs needs it: the run, not the request,
/// is what varies from one `archmesh run` to the next, so each repetition is one observation.
public struct RepetitionFigures: Codable, Sendable, Equatable {
    public var p50Ms: Double
    public var p95Ms: Double
    public var p99Ms: Double
    public var requestsPerSecond: Double
    public var requests: Int
    /// Requests that failed in transport or were answered 5xx.
    public var failedRequests: Int
    public var durationSeconds: Double

    public init(_ load: LoadResult) {
        p50Ms = load.latency.p50
        p95Ms = load.latency.p95
        p99Ms = load.latency.p99
        requestsPerSecond = load.requestsPerSecond
        requests = load.totalRequests
        failedRequests = load.failedRequests
        durationSeconds = load.durationSeconds
    }

    /// The figure a comparison metric reads.
    func value(of metric: RegressionComparison.Metric) -> Double {
        switch metric {
        case .latencyP50: return p50Ms
        case .latencyP95: return p95Ms
        case .latencyP99: return p99Ms
        case .throughput: return requestsPerSecond
        }
    }
}
