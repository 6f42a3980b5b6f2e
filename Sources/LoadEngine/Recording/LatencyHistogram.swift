import Histogram

/// Latencies in microseconds, from 1 µs to one hour, three significant digits (HdrHistogram).
public typealias LatencyHistogram = Histogram<UInt64>

extension Histogram where Count == UInt64 {
    /// A histogram for durations in microseconds, at `digits` significant digits.
    public static func latency(digits: SignificantDigits = .three) -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: digits)
    }

    /// A histogram for small counts (queries per request).
    public static func counts() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 100_000, numberOfSignificantValueDigits: .three)
    }

    /// Records `value`, clamped into the trackable range so no sample is ever lost.
    @inline(__always)
    public mutating func recordClamped(_ value: UInt64) {
        _ = record(Swift.min(Swift.max(value, 1), highestTrackableValue))
    }

    /// A percentile in milliseconds, treating recorded values as microseconds (0 when empty).
    public func milliseconds(atPercentile percentile: Double) -> Double {
        totalCount == 0 ? 0 : Double(valueAtPercentile(percentile)) / 1000
    }

    /// The mean in milliseconds (0 when empty).
    public var meanMilliseconds: Double {
        totalCount == 0 ? 0 : mean / 1000
    }

    /// The largest recorded value in milliseconds (0 when empty).
    public var maxMilliseconds: Double {
        totalCount == 0 ? 0 : Double(max) / 1000
    }
}

/// A histogram kept as only its non-empty buckets: for closed per-second windows (small in
/// memory however many there are) and for reports (a few hundred pairs, re-rendered later).
public struct SparseHistogram: Codable, Sendable, Equatable {
    /// Significant digits of the histogram it came from.
    public var digits: Int
    /// `[value, count]` pairs, value at the top of its bucket, ascending.
    public var values: [[UInt64]]

    public init(digits: Int = 3, values: [[UInt64]] = []) {
        self.digits = digits
        self.values = values
    }

    public init(_ histogram: Histogram<UInt64>) {
        digits = Int(histogram.numberOfSignificantValueDigits.rawValue)
        values = histogram.totalCount == 0 ? [] : histogram.recordedValues().map { [$0.value, $0.count] }
    }

    public var totalCount: UInt64 { values.reduce(0) { $0 + $1[1] } }

    /// The histogram again, at the precision it was recorded with.
    public var histogram: Histogram<UInt64> {
        var histogram = Histogram<UInt64>.latency(digits: SignificantDigits(rawValue: Int8(digits)) ?? .three)
        for pair in values where pair.count == 2 { _ = histogram.record(Swift.min(pair[0], histogram.highestTrackableValue), count: pair[1]) }
        return histogram
    }
}
