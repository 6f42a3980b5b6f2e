import Foundation
import Histogram
import LoadEngine

/// Which way a metric gets better.
public enum Polarity: String, Codable, Sendable {
    case smallerIsBetter = "smaller_is_better"
    case largerIsBetter = "larger_is_better"
}

/// How far a metric may move before it counts: both bounds must be exceeded, so a 50% change of
/// 0.2 ms and a 1 ms change of a 900 ms latency are both ignored.
public struct Tolerance: Codable, Sendable, Equatable {
    public var relativePercent: Double
    public var absolute: Double

    public init(relativePercent: Double, absolute: Double) {
        self.relativePercent = relativePercent
        self.absolute = absolute
    }
}

/// One metric of one scenario, baseline against new, and what was decided.
public struct MetricComparison: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        case regression, improvement, unchanged
        /// No defensible test could decide (see `method`).
        case notJudged = "not_judged"
    }

    public var scenario: String
    public var metric: String
    public var polarity: Polarity
    public var baseline: Double
    public var current: Double
    public var changePercent: Double
    public var tolerance: Tolerance
    /// How the difference was tested, or why it was not.
    public var method: String
    /// The test's p-value, when there was a test.
    public var pValue: Double?
    /// The run-to-run noise the decision allowed for, in percent (one standard deviation between
    /// repetitions when measured; the assumed figure for single runs).
    public var noisePercent: Double?
    /// True when `noisePercent` was measured from repetitions, false when assumed.
    public var noiseMeasured: Bool
    /// True when the difference is beyond what the runs' own variation explains.
    public var significant: Bool
    public var outcome: Outcome
    public var explanation: String

    /// Decides from the change, the tolerance and the significance.
    static func decide(
        scenario: String, metric: String, polarity: Polarity, baseline: Double, current: Double, tolerance: Tolerance, method: String,
        pValue: Double?, significant: Bool, noisePercent: Double?, noiseMeasured: Bool
    ) -> MetricComparison {
        let difference = current - baseline
        let change = baseline == 0 ? (current == 0 ? 0 : 100) : difference / abs(baseline) * 100
        let worse = polarity == .smallerIsBetter ? difference > 0 : difference < 0
        let beyondTolerance = abs(change) > tolerance.relativePercent && abs(difference) > tolerance.absolute
        let outcome: Outcome = !(significant && beyondTolerance) ? .unchanged : (worse ? .regression : .improvement)
        let explanation: String
        switch (significant, beyondTolerance) {
        case (true, true): explanation = "\(worse ? "worse" : "better") beyond the tolerance, and significant"
        case (false, true): explanation = "beyond the tolerance but within the run-to-run noise"
        case (true, false): explanation = "significant but within the tolerance"
        case (false, false): explanation = "within the tolerance and the run-to-run noise"
        }
        return MetricComparison(
            scenario: scenario, metric: metric, polarity: polarity, baseline: baseline, current: current, changePercent: change,
            tolerance: tolerance, method: method, pValue: pValue, noisePercent: noisePercent, noiseMeasured: noiseMeasured,
            significant: significant, outcome: outcome, explanation: explanation)
    }

    /// The same comparison decided again with `significant` (after a correction for testing many metrics at once).
    func judged(significant: Bool) -> MetricComparison {
        .decide(
            scenario: scenario, metric: metric, polarity: polarity, baseline: baseline, current: current, tolerance: tolerance, method: method,
            pValue: pValue, significant: significant, noisePercent: noisePercent, noiseMeasured: noiseMeasured)
    }

    /// A metric no defensible test can decide, with the reason.
    static func notJudged(scenario: String, metric: String, polarity: Polarity, baseline: Double, current: Double, reason: String) -> MetricComparison {
        MetricComparison(
            scenario: scenario, metric: metric, polarity: polarity, baseline: baseline, current: current,
            changePercent: baseline == 0 ? 0 : (current - baseline) / abs(baseline) * 100, tolerance: Tolerance(relativePercent: 0, absolute: 0),
            method: reason, pValue: nil, noisePercent: nil, noiseMeasured: false, significant: false, outcome: .notJudged,
            explanation: "not judged")
    }
}
