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

    enum CodingKeys: String, CodingKey {
        case relativePercent = "relative_percent"
        case absolute
    }

    public init(relativePercent: Double, absolute: Double) {
        self.relativePercent = relativePercent
        self.absolute = absolute
    }
}

/// One metric of one scenario, baseline against new, and what was decided.
public struct MetricComparison: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        case regression, improvement, unchanged
    }

    public var scenario: String
    public var metric: String
    public var polarity: Polarity
    public var baseline: Double
    public var current: Double
    public var changePercent: Double
    public var tolerance: Tolerance
    /// How the difference was tested: "per-second windows (Mann-Whitney U)" or "histogram rank intervals".
    public var method: String
    /// The test's p-value (windows) or nil (intervals).
    public var pValue: Double?
    /// True when the difference is beyond what the runs' own variation explains.
    public var significant: Bool
    public var outcome: Outcome
    public var explanation: String

    enum CodingKeys: String, CodingKey {
        case scenario, metric, polarity, baseline, current
        case changePercent = "change_percent"
        case tolerance, method
        case pValue = "p_value"
        case significant, outcome, explanation
    }

    /// Decides from the change, the tolerance and the significance.
    static func decide(
        scenario: String, metric: String, polarity: Polarity, baseline: Double, current: Double, tolerance: Tolerance, method: String,
        pValue: Double?, significant: Bool
    ) -> MetricComparison {
        let difference = current - baseline
        let change = baseline == 0 ? (current == 0 ? 0 : 100) : difference / abs(baseline) * 100
        let worse = polarity == .smallerIsBetter ? difference > 0 : difference < 0
        let beyondTolerance = abs(change) > tolerance.relativePercent && abs(difference) > tolerance.absolute
        let outcome: Outcome = !(significant && beyondTolerance) ? .unchanged : (worse ? .regression : .improvement)
        let explanation: String
        switch (significant, beyondTolerance) {
        case (true, true): explanation = "\(worse ? "worse" : "better") beyond the tolerance, and significant"
        case (false, true): explanation = "beyond the tolerance but within the runs' own variation"
        case (true, false): explanation = "significant but within the tolerance"
        case (false, false): explanation = "within the tolerance and the runs' variation"
        }
        return MetricComparison(
            scenario: scenario, metric: metric, polarity: polarity, baseline: baseline, current: current, changePercent: change,
            tolerance: tolerance, method: method, pValue: pValue, significant: significant, outcome: outcome, explanation: explanation)
    }
}

/// A quantile's value, with a 99% interval from the binomial distribution of its rank: the values at
/// ranks n·q ± 2.576·√(n·q·(1−q)) of the recorded histogram.
struct QuantileInterval {
    var value: Double
    var low: Double
    var high: Double

    init(_ histogram: Histogram<UInt64>, percentile: Double) {
        let n = Double(histogram.totalCount)
        let q = percentile / 100
        let spread = 2.576 * (n * q * (1 - q)).squareRoot()
        func at(rank: Double) -> Double {
            guard n > 0 else { return 0 }
            let clamped = min(max(rank, 1), n)
            return histogram.milliseconds(atPercentile: clamped / n * 100)
        }
        value = histogram.milliseconds(atPercentile: percentile)
        low = at(rank: n * q - spread)
        high = at(rank: n * q + spread)
    }

    func overlaps(_ other: QuantileInterval) -> Bool { low <= other.high && other.low <= high }
}
