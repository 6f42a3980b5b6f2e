import Foundation
import LoadEngine

/// A service-level objective a step of load must meet, as a user writes it: `p99<50ms`,
/// `p95<=0.2s`, `mean<20ms`, `max<1s`, `errors<1%`.
///
/// Latency is the coordinated-omission corrected one (from each request's intended send time).
/// Requests the run owed but never finished (never sent, or cut off at its end) count as failed
/// and as infinitely slow: a server that stops answering cannot meet an objective by staying silent.
public struct ServiceObjective: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Metric: Sendable, Equatable {
        /// A latency percentile, 0 < p < 100.
        case percentile(Double)
        case mean
        case max
        /// Failed requests (transport errors, 5xx, never finished) as a percentage of all owed.
        case errors
    }

    public var metric: Metric
    /// Milliseconds for latency, percent for errors.
    public var limit: Double
    /// True for `<=`, false for `<`.
    public var inclusive: Bool
    /// As the user wrote it, normalized: `p99<50ms`.
    public var description: String

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ text: String) throws(Failure) -> ServiceObjective {
        let compact = text.filter { !$0.isWhitespace }.lowercased()
        let inclusive = compact.contains("<=")
        let parts = compact.components(separatedBy: inclusive ? "<=" : "<")
        let usage = "objectives look like p99<50ms, p95<=0.2s, mean<20ms, max<1s or errors<1%"
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw Failure(description: "'\(text)' is not an objective: \(usage)")
        }
        let name = parts[0], bound = parts[1]
        let metric: Metric
        switch name {
        case "mean", "avg", "average": metric = .mean
        case "max": metric = .max
        case "errors", "error_rate", "error-rate": metric = .errors
        default:
            guard name.hasPrefix("p"), let value = Double(name.dropFirst()), value > 0, value < 100 else {
                throw Failure(description: "'\(text)': '\(name)' is not p50, p95, p99, p99.9, mean, max or errors; \(usage)")
            }
            metric = .percentile(value)
        }
        let limit: Double
        if metric == .errors {
            guard bound.hasSuffix("%"), let value = Double(bound.dropLast()), (0...100).contains(value) else {
                throw Failure(description: "'\(text)': an error objective is a percentage from 0 to 100, such as errors<1%")
            }
            limit = value
        } else {
            guard let milliseconds = Self.milliseconds(bound), milliseconds > 0 else {
                throw Failure(description: "'\(text)': '\(bound)' is not a positive duration such as 50ms, 0.2s or 800us")
            }
            guard milliseconds <= Self.longestLimit else {
                throw Failure(description: "'\(text)': latency objectives go up to an hour (latencies are recorded up to an hour)")
            }
            limit = milliseconds
        }
        let normalized = "\(name)\(inclusive ? "<=" : "<")\(bound)"
        return ServiceObjective(metric: metric, limit: limit, inclusive: inclusive, description: normalized)
    }

    /// The longest latency limit: an hour, the longest latency the histograms record.
    static let longestLimit = 3_600_000.0

    private static func milliseconds(_ text: String) -> Double? {
        for (unit, factor) in [("ms", 1.0), ("us", 0.001), ("µs", 0.001), ("s", 1000.0)] where text.hasSuffix(unit) {
            guard let value = Double(text.dropLast(unit.count)), value.isFinite else { return nil }
            return value * factor
        }
        return nil
    }

    /// The figure this objective looks at, in a step's result: milliseconds or percent (infinity
    /// when more requests went unfinished than the percentile allows).
    public func actual(in result: LoadResult) -> Double {
        if metric == .errors { return Self.errorPercent(in: result) }
        return latency(result.histograms.corrected.histogram, owed: result.totalRequests + result.unsentRequests + result.cutOffAtEnd)
    }

    /// Failed or unfinished requests (never sent, cut off at the end) as a percentage of all owed.
    static func errorPercent(in result: LoadResult) -> Double {
        let unfinished = result.unsentRequests + result.cutOffAtEnd
        let owed = result.totalRequests + unfinished
        return owed == 0 ? 0 : Double(result.failedRequests + unfinished) * 100 / Double(owed)
    }

    /// A latency figure of `timed` (the requests with a latency: answered, or timed out) among
    /// `owed` requests: those without one (never sent, cut off, failed in transport) count as
    /// slower than every answer, so a server that fails or stays silent cannot meet a latency
    /// objective by it. Infinity when the figure lies beyond every answer; 0 when nothing was owed.
    func latency(_ timed: LatencyHistogram, owed: Int) -> Double {
        let answered = Int(timed.totalCount)
        guard owed > 0 else { return 0 }
        switch metric {
        case .errors:
            return 0
        case .mean:
            return answered < owed ? .infinity : timed.meanMilliseconds
        case .max:
            return answered < owed ? .infinity : timed.maxMilliseconds
        case .percentile(let percentile):
            // The percentile of all owed requests is a higher percentile of the answered ones, or
            // beyond them all.
            let rank = percentile / 100 * Double(owed)
            guard answered > 0, rank <= Double(answered) else { return .infinity }
            return timed.milliseconds(atPercentile: Swift.min(100, rank / Double(answered) * 100))
        }
    }

    public func isMet(by actual: Double) -> Bool {
        inclusive ? actual <= limit : actual < limit
    }

    /// The unit of `limit` and `actual`.
    public var unit: String { metric == .errors ? "%" : "ms" }

    /// The figure's name in tables: p99, mean, max, errors.
    public var metricName: String {
        switch metric {
        case .percentile(let value): return "p" + (value == value.rounded() ? String(Int(value)) : String(value))
        case .mean: return "mean"
        case .max: return "max"
        case .errors: return "errors"
        }
    }

    enum CodingKeys: String, CodingKey {
        case objective, metric, limit, unit
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(description, forKey: .objective)
        try container.encode(metricName, forKey: .metric)
        try container.encode(limit, forKey: .limit)
        try container.encode(unit, forKey: .unit)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .objective)
        do {
            self = try Self.parse(text)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .objective, in: container, debugDescription: error.description)
        }
    }

    init(metric: Metric, limit: Double, inclusive: Bool, description: String) {
        self.metric = metric
        self.limit = limit
        self.inclusive = inclusive
        self.description = description
    }
}
