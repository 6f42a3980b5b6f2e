import Foundation

/// How values map onto an axis: linear, or HdrHistogram's percentile scale.
enum ChartScale {
    case linear
    /// Percentiles (0 to 100) at log10(1 / (1 - p)), so 90, 99, 99.9 and 99.99 are evenly spaced.
    case percentile

    /// The value in the axis's own linear space; nil for a value the scale cannot place.
    func transform(_ value: Double) -> Double? {
        guard value.isFinite else { return nil }
        switch self {
        case .linear: return value
        case .percentile: return value >= 0 && value < 100 ? log10(100 / (100 - value)) : nil
        }
    }
}

/// An axis fitted to its values: the domain and the labelled ticks, in the scale's transformed space.
struct ChartAxis {
    var scale: ChartScale
    var low: Double
    var high: Double
    var ticks: [(position: Double, label: String)]

    /// 0 at `low` and 1 at `high` for a value the scale can place inside the domain; nil otherwise.
    func fraction(of value: Double) -> Double? {
        scale.transform(value).flatMap(fraction(ofPosition:))
    }

    func fraction(ofPosition position: Double) -> Double? {
        guard high > low, position.isFinite else { return nil }
        let fraction = (position - low) / (high - low)
        guard fraction >= -1e-9, fraction <= 1 + 1e-9 else { return nil }
        return min(max(fraction, 0), 1)
    }

    /// An axis covering `values` with round ticks; `includeZero` starts a linear axis at 0.
    static func fitted(to values: [Double], scale: ChartScale, includeZero: Bool) -> ChartAxis {
        let positions = values.compactMap(scale.transform)
        switch scale {
        case .linear: return linear(positions, includeZero: includeZero)
        case .percentile: return percentile(positions)
        }
    }

    static func linear(_ values: [Double], includeZero: Bool) -> ChartAxis {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if includeZero { (low, high) = (min(low, 0), max(high, 0)) }
        if high - low < 1e-12 {
            if high == 0 { high = 1 } else if includeZero && low == 0 { high *= 2 } else { (low, high) = (low - abs(low) / 2, high + abs(high) / 2) }
        }
        let step = niceStep(high - low)
        let first = (low / step).rounded(.down) * step, last = (high / step).rounded(.up) * step
        let count = min(Int(((last - first) / step).rounded()), 100)
        let ticks = (0...count).map { index -> (Double, String) in
            let value = first + Double(index) * step
            return (value, linearLabel(value, step: step))
        }
        return ChartAxis(scale: .linear, low: first, high: last, ticks: ticks)
    }

    /// From the 0th percentile to the first of 99, 99.9, ... 99.999 that covers the values.
    static func percentile(_ values: [Double]) -> ChartAxis {
        let high = min(max(((values.max() ?? 2) - 1e-9).rounded(.up), 2), 5)
        let marks: [(Double, String)] = [(log10(2), "50%"), (1, "90%"), (2, "99%"), (3, "99.9%"), (4, "99.99%"), (5, "99.999%")]
        return ChartAxis(scale: .percentile, low: 0, high: high, ticks: marks.filter { $0.0 <= high + 1e-9 })
    }

    /// 1, 2, 2.5 or 5 times a power of ten, giving about six intervals over `span`.
    static func niceStep(_ span: Double) -> Double {
        let raw = span / 6
        let magnitude = pow(10, log10(raw).rounded(.down))
        let residual = raw / magnitude
        let nice = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 2.5 ? 2.5 : residual <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// As many decimals as the step needs; thousands as "k" once the ticks are that large.
    static func linearLabel(_ value: Double, step: Double) -> String {
        if step >= 1000, (step / 1000).rounded() == step / 1000 { return String(format: "%.0fk", value / 1000) }
        let decimals = (0...6).first { abs(step * pow(10, Double($0)) - (step * pow(10, Double($0))).rounded()) < 1e-6 } ?? 6
        let label = String(format: "%.\(decimals)f", value)
        return label.hasPrefix("-") && Double(label) == 0 ? String(label.dropFirst()) : label
    }
}
