import LoadEngine

/// A scenario's figures so far, added up from the seconds that are over: what a live view judges
/// thresholds and objectives on while the run goes. The verdict in the report is still made once,
/// from the result; this one says where the run is heading.
public struct LiveTally: Sendable {
    /// Every second over so far, in order.
    public private(set) var seconds: [SecondWindow] = []
    public private(set) var requests = 0
    /// Requests that ended with an error of any kind, 4xx answers included.
    public private(set) var errors = 0
    /// Transport errors and 5xx answers: what error rates count.
    public private(set) var failures = 0
    private var client = LatencyHistogram.latency(digits: .two)
    private var clientMillisecondsSum = 0.0

    public init() {}

    public mutating func add(_ new: [SecondWindow]) {
        for window in new {
            seconds.append(window)
            requests += window.requests
            errors += window.errors
            failures += window.failures
            client.add(window.client.histogram)
            clientMillisecondsSum += window.clientMillisecondsSum
        }
    }

    /// Client latency so far (corrected), milliseconds, two significant digits.
    public func latency(atPercentile percentile: Double) -> Double { client.milliseconds(atPercentile: percentile) }

    /// The figures thresholds judge, as of `elapsedSeconds` into the run, with the server's highest
    /// CPU and memory so far (nil when not measured).
    public func figures(elapsedSeconds: Double, maxCPUPercent: Double?, maxMemoryMB: Double?) -> JudgedFigures {
        let timed = client.totalCount
        return JudgedFigures(
            averageMs: timed == 0 ? 0 : clientMillisecondsSum / Double(timed), p95Ms: latency(atPercentile: 95),
            requestsPerSecond: elapsedSeconds > 0 ? Double(requests) / elapsedSeconds : 0, maxCPUPercent: maxCPUPercent,
            maxMemoryMB: maxMemoryMB, successPercent: requests == 0 ? 100 : Double(requests - errors) * 100 / Double(requests),
            errorRatePercent: requests == 0 ? 0 : Double(failures) * 100 / Double(requests))
    }
}
