import Foundation
import LoadEngine

/// Two reports compared scenario by scenario: latency quantiles (smaller is better), throughput
/// (larger is better) and error rate (smaller is better), each decided statistically from the
/// recorded distributions and then against a tolerance.
public struct RegressionComparison: Codable, Sendable {
    public struct Settings: Codable, Sendable {
        public var latency = Tolerance(relativePercent: 10, absolute: 1)
        public var throughput = Tolerance(relativePercent: 10, absolute: 5)
        public var errorRate = Tolerance(relativePercent: 0, absolute: 1)
        /// Below this p-value a per-second difference counts as significant.
        public var significance = 0.01
        /// Per-second windows with fewer requests than this are too thin to stand for their second.
        public var minimumWindowRequests = 20
        /// Each run needs this many usable windows for the per-second test (below 8 a side it cannot
        /// reach p < 0.01); fewer: histogram intervals.
        public var minimumWindows = 8

        public init() {}
    }

    public var settings: Settings
    public var regressions: [MetricComparison]
    public var improvements: [MetricComparison]
    public var unchanged: [MetricComparison]
    /// Scenarios in only one of the reports, or without measurements.
    public var notCompared: [String]

    enum CodingKeys: String, CodingKey {
        case settings, regressions, improvements, unchanged
        case notCompared = "not_compared"
    }

    public var hasRegression: Bool { !regressions.isEmpty }

    /// Reads a baseline for comparison with `current`; a missing, foreign or incompatible file is a
    /// `ReportError` that says which.
    public static func loadBaseline(_ path: String) throws -> SuiteReport {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ReportError(path: path, message: "no baseline here; write one with `archmesh run --save-baseline \(path)`")
        }
        let data = FileManager.default.contents(atPath: path) ?? Data()
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let version = object["schema_version"] as? Int,
            version != SuiteReport.currentSchemaVersion
        {
            throw ReportError(
                path: path, message: "was written with report schema \(version); this archmesh reads \(SuiteReport.currentSchemaVersion). Save a new baseline")
        }
        return try SuiteReport.read(from: path)
    }

    public init(current: SuiteReport, baseline: SuiteReport, settings: Settings = Settings()) {
        self.settings = settings
        var all: [MetricComparison] = []
        var notCompared: [String] = []
        for result in current.scenarios {
            guard let before = baseline.scenarios.first(where: { $0.key == result.key }) else {
                notCompared.append("\(result.key): not in the baseline")
                continue
            }
            guard result.loadModel == before.loadModel else {
                notCompared.append("\(result.key): its load differs from the baseline's (\(result.loadModel) against \(before.loadModel))")
                continue
            }
            guard let new = result.load, let old = before.load, new.totalRequests > 0, old.totalRequests > 0 else {
                notCompared.append("\(result.key): not measured in both runs")
                continue
            }
            all += Self.compare(result.key, new: new, old: old, settings: settings)
        }
        for result in baseline.scenarios where !current.scenarios.contains(where: { $0.key == result.key }) {
            notCompared.append("\(result.key): not in the new run")
        }
        regressions = all.filter { $0.outcome == .regression }
        improvements = all.filter { $0.outcome == .improvement }
        unchanged = all.filter { $0.outcome == .unchanged }
        self.notCompared = notCompared
    }

    static func compare(_ scenario: String, new: LoadResult, old: LoadResult, settings: Settings) -> [MetricComparison] {
        var results: [MetricComparison] = []
        let newWindows = usableWindows(new, settings), oldWindows = usableWindows(old, settings)
        let perSecond = newWindows.count >= settings.minimumWindows && oldWindows.count >= settings.minimumWindows
        let newHistogram = new.histograms.corrected.histogram, oldHistogram = old.histograms.corrected.histogram
        // Each window's histogram decoded once, for the three quantiles.
        let newSeconds = perSecond ? newWindows.map(\.client.histogram) : [], oldSeconds = perSecond ? oldWindows.map(\.client.histogram) : []
        for (name, percentile) in [("latency_p50_ms", 50.0), ("latency_p95_ms", 95.0), ("latency_p99_ms", 99.0)] {
            let current = QuantileInterval(newHistogram, percentile: percentile)
            let base = QuantileInterval(oldHistogram, percentile: percentile)
            if perSecond {
                let p = Statistics.mannWhitneyP(
                    newSeconds.map { $0.milliseconds(atPercentile: percentile) }, oldSeconds.map { $0.milliseconds(atPercentile: percentile) })
                results.append(.decide(
                    scenario: scenario, metric: name, polarity: .smallerIsBetter, baseline: base.value, current: current.value,
                    tolerance: settings.latency, method: "per-second windows (Mann-Whitney U)", pValue: p, significant: p < settings.significance))
            } else {
                results.append(.decide(
                    scenario: scenario, metric: name, polarity: .smallerIsBetter, baseline: base.value, current: current.value,
                    tolerance: settings.latency, method: "histogram rank intervals (99%)", pValue: nil, significant: !current.overlaps(base)))
            }
        }
        // Throughput: per-second request counts when both runs have enough seconds; otherwise the
        // overall rate can only be compared against the tolerance.
        if perSecond {
            let p = Statistics.mannWhitneyP(newWindows.map { Double($0.requests) }, oldWindows.map { Double($0.requests) })
            results.append(.decide(
                scenario: scenario, metric: "requests_per_second", polarity: .largerIsBetter, baseline: old.requestsPerSecond,
                current: new.requestsPerSecond, tolerance: settings.throughput, method: "per-second windows (Mann-Whitney U)", pValue: p,
                significant: p < settings.significance))
        } else {
            results.append(.decide(
                scenario: scenario, metric: "requests_per_second", polarity: .largerIsBetter, baseline: old.requestsPerSecond,
                current: new.requestsPerSecond, tolerance: settings.throughput, method: "not tested: too few full seconds", pValue: nil,
                significant: false))
        }
        let newErrors = new.failedRequests, oldErrors = old.failedRequests
        let p = twoProportionP(newErrors, new.totalRequests, oldErrors, old.totalRequests)
        results.append(.decide(
            scenario: scenario, metric: "error_rate_percent", polarity: .smallerIsBetter,
            baseline: Double(oldErrors) * 100 / Double(old.totalRequests), current: Double(newErrors) * 100 / Double(new.totalRequests),
            tolerance: settings.errorRate, method: "two-proportion z test", pValue: p, significant: p < settings.significance))
        return results
    }

    /// Full seconds with enough requests (the first and last are partial and left out).
    static func usableWindows(_ load: LoadResult, _ settings: Settings) -> [SecondWindow] {
        Array(load.seconds.dropFirst().dropLast()).filter { $0.requests >= settings.minimumWindowRequests }
    }

    static func twoProportionP(_ errorsA: Int, _ totalA: Int, _ errorsB: Int, _ totalB: Int) -> Double {
        let pooled = Double(errorsA + errorsB) / Double(totalA + totalB)
        let deviation = (pooled * (1 - pooled) * (1 / Double(totalA) + 1 / Double(totalB))).squareRoot()
        guard deviation > 0 else { return 1 }
        let z = abs(Double(errorsA) / Double(totalA) - Double(errorsB) / Double(totalB)) / deviation
        return 2 * (1 - Statistics.normalCDF(z))
    }
}
