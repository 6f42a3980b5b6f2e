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

    /// Microseconds for a duration in milliseconds that a server reported: rounded, and clamped
    /// into `0...highestTrackableValue` whatever the number (negative, NaN and infinity included).
    @inline(__always)
    public static func micros(fromMilliseconds milliseconds: Double) -> UInt64 {
        let micros = (milliseconds * 1000).rounded()
        guard micros > 0 else { return 0 }  // also NaN
        return micros < 3_600_000_000 ? UInt64(micros) : 3_600_000_000
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
/// memory however many there are) and for reports (a few hundred numbers, re-rendered later).
///
/// `pairs` is flat, `[value, count, value, count, ...]`, with each value at the top of its bucket,
/// ascending: one array rather than an array per bucket, so a run's thousands of windows stay small.
public struct SparseHistogram: Codable, Sendable, Equatable {
    /// Significant digits of the histogram it came from.
    public var digits: Int
    public var pairs: [UInt64]

    public init(digits: Int = 3, pairs: [UInt64] = []) {
        self.digits = digits
        self.pairs = pairs
    }

    public init(_ histogram: Histogram<UInt64>) {
        digits = Int(histogram.numberOfSignificantValueDigits.rawValue)
        var pairs: [UInt64] = []
        if histogram.totalCount > 0 {
            for bucket in histogram.recordedValues() {
                pairs.append(bucket.value)
                pairs.append(bucket.count)
            }
        }
        self.pairs = pairs
    }

    enum CodingKeys: String, CodingKey { case digits, pairs }

    /// Reads a histogram, refusing one that cannot have been recorded (it may come from another
    /// process): digits outside 1-5, an odd list, counts that could not add up.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        digits = try container.decode(Int.self, forKey: .digits)
        pairs = try container.decode([UInt64].self, forKey: .pairs)
        guard (1...5).contains(digits) else {
            throw DecodingError.dataCorruptedError(forKey: .digits, in: container, debugDescription: "significant digits must be 1 to 5, got \(digits)")
        }
        guard pairs.count % 2 == 0, stride(from: 1, to: pairs.count, by: 2).allSatisfy({ pairs[$0] <= UInt64(largestRecordedCount) }) else {
            throw DecodingError.dataCorruptedError(forKey: .pairs, in: container, debugDescription: "value and count pairs, each count at most \(largestRecordedCount)")
        }
    }

    /// Non-empty buckets.
    public var bucketCount: Int { pairs.count / 2 }

    public var totalCount: UInt64 {
        stride(from: 1, to: pairs.count, by: 2).reduce(0) { $0 + pairs[$1] }
    }

    /// The histogram again, at the precision it was recorded with.
    public var histogram: Histogram<UInt64> {
        restored(into: .latency(digits: SignificantDigits(rawValue: Int8(digits)) ?? .three))
    }
}
