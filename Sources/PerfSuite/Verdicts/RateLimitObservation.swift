import LoadEngine

/// A target's rate limit as a run observed it: the accepted rate once the limit showed, beside
/// the declared one, and the checks a `rate_limit` scenario is held to. The counts it judges
/// (refusals, headers, answers after a wait) are the load result's own `RateLimitSummary`.
public struct RateLimitObservation: Codable, Sendable, Equatable {
    public var expectation: RateLimitExpectation
    /// Accepted answers (no error) a second, over the whole seconds after the first refusal's (a
    /// last second the run did not fill is left out): the limit the target enforced.
    /// Nil when nothing was refused, or too little of the run came after the first refusal.
    public var observedLimit: Double?
    /// The seconds `observedLimit` is the mean of.
    public var secondsObserved: Int
    /// Accepted answers in each second of the run, from its start.
    public var acceptedPerSecond: [Int]
    /// Refusals (429) as a share of every finished request.
    public var refusedPercent: Double
    /// Every check, held or broken, in order.
    public var checks: [Check]

    public struct Check: Codable, Sendable, Equatable {
        /// The check's name in reports (`rate_limit_observed_rps`).
        public var metric: String
        public var held: Bool
        public var limit: Double
        public var actual: Double
        public var message: String
    }

    /// Fewest whole seconds after the first refusal that give an observed limit.
    public static let fewestSeconds = 2

    public init(load: LoadResult, expectation: RateLimitExpectation) {
        self.expectation = expectation
        let summary = load.rateLimit ?? RateLimitSummary()
        let lastWhole = Int(load.durationSeconds.rounded(.down))  // seconds 0..<lastWhole are whole
        var accepted = [Int](repeating: 0, count: max(lastWhole + 1, (load.seconds.map(\.second).max() ?? -1) + 1))
        for window in load.seconds { accepted[window.second] += window.requests - window.errors }
        acceptedPerSecond = accepted
        refusedPercent = load.totalRequests == 0 ? 0 : Double(summary.refused) * 100 / Double(load.totalRequests)
        if let first = summary.firstRefusalSeconds {
            let judged = (Int(first) + 1)..<max(Int(first) + 1, lastWhole)
            secondsObserved = judged.count
            observedLimit = judged.count >= Self.fewestSeconds ? Double(judged.reduce(0) { $0 + accepted[$1] }) / Double(judged.count) : nil
        } else {
            secondsObserved = 0
            observedLimit = nil
        }
        checks = Self.checks(load: load, summary: summary, expectation: expectation, observed: observedLimit, seconds: secondsObserved)
    }

    /// The broken checks, as the scenario's violations.
    public var violations: [ThresholdViolation] {
        checks.filter { !$0.held }.map { ThresholdViolation(metric: $0.metric, limit: $0.limit, actual: $0.actual, message: $0.message) }
    }

    private static func checks(
        load: LoadResult, summary: RateLimitSummary, expectation: RateLimitExpectation, observed: Double?, seconds: Int
    ) -> [Check] {
        func rate(_ value: Double) -> String { LoadSummaryText.format(value, 1) + "/s" }
        var checks: [Check] = []
        let declared = expectation.limit ?? 0
        if summary.refused == 0 {
            checks.append(Check(
                metric: "rate_limit_observed_rps", held: false, limit: declared, actual: load.requestsPerSecond,
                message: "No limit observed: \(load.totalRequests) requests at \(rate(load.requestsPerSecond)), none refused with 429"
                    + (expectation.limit.map { " (the declared limit is \(rate($0)))" } ?? "")))
        } else if let observed {
            if let limit = expectation.limit {
                let off = abs(observed - limit) / limit * 100
                checks.append(Check(
                    metric: "rate_limit_observed_rps", held: off <= expectation.tolerancePercent, limit: limit, actual: observed,
                    message: "Observed limit \(rate(observed)) over \(seconds) s against the declared \(rate(limit)): "
                        + "\(LoadSummaryText.format(off, 1))% off (tolerance \(LoadSummaryText.format(expectation.tolerancePercent, 0))%)"))
            } else {
                checks.append(Check(
                    metric: "rate_limit_observed_rps", held: true, limit: 0, actual: observed,
                    message: "Observed limit \(rate(observed)) over \(seconds) s (no limit declared)"))
            }
        } else {
            checks.append(Check(
                metric: "rate_limit_observed_rps", held: false, limit: declared, actual: 0,
                message: "The first refusal came \(LoadSummaryText.format(summary.firstRefusalSeconds ?? 0, 1)) s into a run of "
                    + "\(LoadSummaryText.format(load.durationSeconds, 1)) s: fewer than \(fewestSeconds) whole seconds after it to measure the limit; lengthen the run"))
        }
        let serverErrors = load.errors[.http5xx]
        checks.append(Check(
            metric: "rate_limit_server_errors", held: serverErrors == 0, limit: 0, actual: Double(serverErrors),
            message: serverErrors == 0 ? "No 5xx answers" : "\(serverErrors) answers were 5xx: a limit refuses with 429, it does not fail"))
        guard expectation.requireHeaders, summary.refused > 0 else { return checks }
        for (name, count) in [("Retry-After", summary.refusedWithRetryAfter), ("RateLimit", summary.refusedWithRateLimit)] {
            let missing = summary.refused - count
            checks.append(Check(
                metric: "rate_limit_\(name == "Retry-After" ? "retry_after" : "ratelimit")_missing", held: missing == 0, limit: 0, actual: Double(missing),
                message: missing == 0 ? "Every refusal carried \(name)" : "\(missing) of \(summary.refused) refusals carried no \(name) header"))
        }
        checks.append(Check(
            metric: "rate_limit_inconsistent_headers", held: summary.inconsistent == 0, limit: 0, actual: Double(summary.inconsistent),
            message: summary.inconsistent == 0 ? "Retry-After and RateLimit agreed on every refusal"
                : "\(summary.inconsistent) refusals had a RateLimit that said requests remained, or a reset more than 1 s from Retry-After"))
        return checks
    }
}
