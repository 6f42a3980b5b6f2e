import LoadEngine

/// A rate limit as a terminal shows it, for `archmesh load` and `archmesh report` alike: what was
/// refused and when, the limit observed, the headers, and the requests sent after a wait.
enum RateLimitText {
    static func lines(_ load: LoadResult, _ observation: RateLimitObservation, indent: String = "  ") -> [String] {
        let summary = load.rateLimit ?? RateLimitSummary()
        func format(_ value: Double, _ decimals: Int) -> String { LoadSummaryText.format(value, decimals) }
        var head = "Rate limit: \(summary.refused) of \(load.totalRequests) requests refused with 429 (\(format(observation.refusedPercent, 1))%)"
        if let first = summary.firstRefusalSeconds { head += ", the first \(format(first, 2)) s in" }
        if let observed = observation.observedLimit {
            head += "; observed limit \(format(observed, 1))/s over \(observation.secondsObserved) s"
        } else if summary.refused > 0 {
            head += "; too little of the run after the first refusal to observe the limit"
        } else {
            head += "; no limit observed"
        }
        if let declared = observation.expectation.limit { head += " (declared \(format(declared, 1))/s)" }
        var lines = [indent + head]
        if summary.refused > 0 {
            let range = summary.retryAfterSecondsMin.map { min in
                let max = summary.retryAfterSecondsMax ?? min
                return min == max ? " (\(min) s)" : " (\(min)–\(max) s)"
            } ?? ""
            lines.append(indent + "  refusals with Retry-After \(summary.refusedWithRetryAfter)\(range), with RateLimit \(summary.refusedWithRateLimit), inconsistent \(summary.inconsistent)")
        }
        lines.append(indent + "  answers with RateLimit \(summary.answersWithRateLimit), with RateLimit-Policy \(summary.answersWithPolicy)")
        if observation.expectation.respectRetryAfter || summary.afterWaitAccepted + summary.afterWaitRefused > 0 {
            lines.append(indent + "  sent after waiting out Retry-After: \(summary.afterWaitAccepted) accepted, \(summary.afterWaitRefused) refused again")
        }
        let shown = observation.acceptedPerSecond.prefix(30).map(String.init).joined(separator: " ")
        lines.append(indent + "  accepted per second: " + shown + (observation.acceptedPerSecond.count > 30 ? " ..." : ""))
        return lines
    }

    /// The checks of a `rate_limit` scenario, held or broken.
    static func checks(_ observation: RateLimitObservation, indent: String = "  ") -> [String] {
        observation.checks.map { indent + "  " + ($0.held ? "held: " : "BROKEN: ") + $0.message }
    }
}
