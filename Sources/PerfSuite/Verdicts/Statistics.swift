import Foundation

/// The few statistics the verdicts need, written out so their assumptions are visible.
public enum Statistics {
    /// Two-sided p-value of the Mann-Whitney U test (normal approximation with continuity and tie
    /// corrections, ties given mid-ranks): do the two samples come from distributions with the same
    /// location? Robust to a stray second. With fewer than 8 values a side the approximation cannot
    /// reach p < 0.01; callers need at least that many.
    public static func mannWhitneyP(_ first: [Double], _ second: [Double]) -> Double {
        let n1 = Double(first.count), n2 = Double(second.count)
        guard n1 > 0, n2 > 0 else { return 1 }
        let pooled = (first.map { ($0, 0) } + second.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        // One pass over groups of equal values: their mid-rank for the first sample's rank sum, and
        // Σ(t³ − t) over the groups, by which ties shrink the variance.
        var rankSum = 0.0, ties = 0.0
        var index = 0
        while index < pooled.count {
            var end = index
            while end + 1 < pooled.count && pooled[end + 1].0 == pooled[index].0 { end += 1 }
            let midRank = Double(index + end) / 2 + 1
            for tied in index...end where pooled[tied].1 == 0 { rankSum += midRank }
            let t = Double(end - index + 1)
            ties += t * t * t - t
            index = end + 1
        }
        let u = rankSum - n1 * (n1 + 1) / 2
        let mean = n1 * n2 / 2
        let n = n1 + n2
        let deviation = (n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))).squareRoot()
        guard deviation > 0 else { return 1 }
        let z = (abs(u - mean) - 0.5) / deviation
        return min(1, 2 * (1 - normalCDF(max(z, 0))))
    }

    public static func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// Two-sided p-value of Student's t for `t` with `degreesOfFreedom`.
    public static func studentTwoSidedP(_ t: Double, degreesOfFreedom: Double) -> Double {
        guard t.isFinite else { return 0 }
        guard degreesOfFreedom > 0 else { return 1 }
        // P(|T| > t) = I_x(df/2, 1/2) with x = df / (df + t²).
        return regularizedIncompleteBeta(degreesOfFreedom / (degreesOfFreedom + t * t), a: degreesOfFreedom / 2, b: 0.5)
    }

    /// The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz's method).
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        let logFront: Double = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x)
        let front = exp(logFront)
        // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, a: b, b: a) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...300 {
            let m = Double(m)
            let even: Double = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d; if abs(d) < tiny { d = tiny }
            c = 1 + even / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            let odd: Double = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d; if abs(d) < tiny { d = tiny }
            c = 1 + odd / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            result *= step
            if abs(step - 1) < 1e-12 { break }
        }
        return front * result / a
    }

    /// Least-squares line through the points, with the standard error of its slope.
    public struct LineFit: Codable, Sendable, Equatable {
        public var slope: Double
        public var intercept: Double
        public var slopeStandardError: Double
        /// The slope's two-sided 95% interval (Student's t for n - 2 degrees of freedom).
        public var slopeLow: Double
        public var slopeHigh: Double

        enum CodingKeys: String, CodingKey {
            case slope, intercept, slopeStandardError, slopeLow = "slopeLow_95", slopeHigh = "slopeHigh_95"
        }
    }

    public static func fitLine(_ points: [(x: Double, y: Double)]) -> LineFit? {
        let n = Double(points.count)
        guard points.count >= 3 else { return nil }
        let meanX = points.reduce(0) { $0 + $1.x } / n
        let meanY = points.reduce(0) { $0 + $1.y } / n
        let sxx = points.reduce(0) { $0 + ($1.x - meanX) * ($1.x - meanX) }
        guard sxx > 0 else { return nil }
        let sxy = points.reduce(0) { $0 + ($1.x - meanX) * ($1.y - meanY) }
        let slope = sxy / sxx
        let intercept = meanY - slope * meanX
        let residuals = points.reduce(0) { $0 + pow($1.y - (intercept + slope * $1.x), 2) }
        let standardError = (residuals / (n - 2) / sxx).squareRoot()
        let t = studentT975(degreesOfFreedom: points.count - 2)
        return LineFit(
            slope: slope, intercept: intercept, slopeStandardError: standardError, slopeLow: slope - t * standardError,
            slopeHigh: slope + t * standardError)
    }

    /// The 97.5th percentile of Student's t (a two-sided 95% interval), tabulated; 1.96 beyond 30.
    static func studentT975(degreesOfFreedom: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        guard degreesOfFreedom >= 1 else { return .infinity }
        return degreesOfFreedom <= table.count ? table[degreesOfFreedom - 1] : 1.96
    }
}
