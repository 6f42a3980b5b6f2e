import Foundation
import LoadEngine

/// Two reports compared scenario by scenario: latency quantiles (smaller is better), throughput
/// (larger is better) and error rate (smaller is better).
///
/// What differs between two runs of the same build is mostly the run itself (a new server process,
/// a new cluster, the machine's other load), not the sampling of its requests, so the run is the
/// unit of comparison:
/// - With repetitions (`archmesh run --repeat N`, the server restarted between them), each
///   repetition is one observation, and a change must stand out of the run-to-run noise those
///   repetitions measure (Student's t on log values) and exceed the tolerance.
/// - Single runs of at least `minimumWindows` full seconds: the per-second windows must differ
///   (Mann-Whitney U) and the change must exceed the tolerance and an assumed run-to-run noise,
///   stated in the result, since a single run cannot measure it.
/// - Shorter single runs are not judged: one run's requests say nothing about the next run.
public struct RegressionComparison: Codable, Sendable {
    public struct Settings: Codable, Sendable {
        public var latency = Tolerance(relativePercent: 10, absolute: 1)
        public var throughput = Tolerance(relativePercent: 10, absolute: 5)
        public var errorRate = Tolerance(relativePercent: 0, absolute: 1)
        /// Below this p-value a difference counts as significant.
        public var significance = 0.01
        /// Per-second windows with fewer requests than this are too thin to stand for their second.
        public var minimumWindowRequests = 20
        /// Single runs need this many usable windows a side to be judged at all: a 10 s run has 8
        /// full seconds between its partial first and last, and 8 a side can reach p < 0.01.
        public var minimumWindows = 8
        /// Run-to-run noise assumed for single runs, in percent: changes smaller than this are not
        /// told from a rerun. `benchmarks/regression-proof.sh` measures what it is on a machine.
        public var assumedRunNoisePercent = 15.0

        public init() {}
    }

    /// The figures compared for every scenario, besides the error rate.
    enum Metric: CaseIterable {
        case latencyP50, latencyP95, latencyP99, throughput

        var name: String {
            switch self {
            case .latencyP50: return "latency_p50_ms"
            case .latencyP95: return "latency_p95_ms"
            case .latencyP99: return "latency_p99_ms"
            case .throughput: return "requests_per_second"
            }
        }

        var percentile: Double? {
            switch self {
            case .latencyP50: return 50
            case .latencyP95: return 95
            case .latencyP99: return 99
            case .throughput: return nil
            }
        }

        var polarity: Polarity { self == .throughput ? .largerIsBetter : .smallerIsBetter }
    }

    public var settings: Settings
    /// Ways in which the two reports' environments differ (machine, cores, memory, PostgreSQL, build).
    public var warnings: [String]
    public var regressions: [MetricComparison]
    public var improvements: [MetricComparison]
    public var unchanged: [MetricComparison]
    /// Metrics no defensible test could decide (a single short run a side).
    public var notJudged: [MetricComparison]
    /// Scenarios in only one of the reports, or without measurements.
    public var notCompared: [String]

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
        warnings = Self.environmentWarnings(current: current.environment, baseline: baseline.environment)
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
            all += Self.compare(
                result.key, new: new, newRepetitions: result.figuresOfRepetitions, old: old, oldRepetitions: before.figuresOfRepetitions,
                settings: settings)
        }
        for result in baseline.scenarios where !current.scenarios.contains(where: { $0.key == result.key }) {
            notCompared.append("\(result.key): not in the new run")
        }
        all = Self.holm(all, alpha: settings.significance)
        regressions = all.filter { $0.outcome == .regression }
        improvements = all.filter { $0.outcome == .improvement }
        unchanged = all.filter { $0.outcome == .unchanged }
        notJudged = all.filter { $0.outcome == .notJudged }
        self.notCompared = notCompared
    }

    static func compare(
        _ scenario: String, new: LoadResult, newRepetitions: [RepetitionFigures], old: LoadResult, oldRepetitions: [RepetitionFigures],
        settings: Settings
    ) -> [MetricComparison] {
        var results: [MetricComparison] = []
        let degreesOfFreedom = newRepetitions.count + oldRepetitions.count - 2
        if max(newRepetitions.count, oldRepetitions.count) > 1 && degreesOfFreedom >= 2 {
            for metric in Metric.allCases {
                results.append(acrossRepetitions(scenario, metric, new: newRepetitions.map { $0.value(of: metric) },
                    old: oldRepetitions.map { $0.value(of: metric) }, settings: settings))
            }
        } else {
            let newWindows = usableWindows(new, settings), oldWindows = usableWindows(old, settings)
            if newWindows.count >= settings.minimumWindows && oldWindows.count >= settings.minimumWindows {
                results += perSecond(scenario, new: new, newWindows: newWindows, old: old, oldWindows: oldWindows, settings: settings)
            } else {
                let reason = "not judged: too short for a single run (\(min(newWindows.count, oldWindows.count)) full seconds of at least "
                    + "\(settings.minimumWindowRequests) requests, \(settings.minimumWindows) needed); use --repeat 3 or more"
                for metric in Metric.allCases {
                    results.append(.notJudged(scenario: scenario, metric: metric.name, polarity: metric.polarity,
                        baseline: oldRepetitions.first?.value(of: metric) ?? 0, current: newRepetitions.first?.value(of: metric) ?? 0, reason: reason))
                }
            }
        }
        results.append(errorRate(scenario, new: newRepetitions, old: oldRepetitions, settings: settings))
        return results
    }

    /// Each repetition one observation: Student's t on the logarithms (a slowdown multiplies
    /// latency), with the noise the repetitions themselves show.
    static func acrossRepetitions(_ scenario: String, _ metric: Metric, new: [Double], old: [Double], settings: Settings) -> MetricComparison {
        let tolerance = metric == .throughput ? settings.throughput : settings.latency
        guard (new + old).allSatisfy({ $0 > 0 && $0.isFinite }) else {
            return .notJudged(scenario: scenario, metric: metric.name, polarity: metric.polarity, baseline: old.first ?? 0,
                current: new.first ?? 0, reason: "not judged: a repetition measured nothing")
        }
        let logNew = new.map(log), logOld = old.map(log)
        let meanNew = logNew.reduce(0, +) / Double(new.count), meanOld = logOld.reduce(0, +) / Double(old.count)
        let squares = logNew.reduce(0) { $0 + ($1 - meanNew) * ($1 - meanNew) } + logOld.reduce(0) { $0 + ($1 - meanOld) * ($1 - meanOld) }
        let degreesOfFreedom = Double(new.count + old.count - 2)
        let deviation = (squares / degreesOfFreedom).squareRoot()
        let standardError = deviation * (1 / Double(new.count) + 1 / Double(old.count)).squareRoot()
        let t = standardError > 0 ? (meanNew - meanOld) / standardError : (meanNew == meanOld ? 0 : .infinity)
        let p = Statistics.studentTwoSidedP(t, degreesOfFreedom: degreesOfFreedom)
        return .decide(
            scenario: scenario, metric: metric.name, polarity: metric.polarity, baseline: exp(meanOld), current: exp(meanNew),
            tolerance: tolerance, method: "across repetitions (t test on log values, \(old.count) + \(new.count) runs)", pValue: p,
            significant: p < settings.significance, noisePercent: (exp(deviation) - 1) * 100, noiseMeasured: true)
    }

    /// Single runs long enough: their per-second windows, with the run-to-run noise assumed.
    static func perSecond(
        _ scenario: String, new: LoadResult, newWindows: [SecondWindow], old: LoadResult, oldWindows: [SecondWindow], settings: Settings
    ) -> [MetricComparison] {
        let noise = settings.assumedRunNoisePercent
        let method = "per-second windows (Mann-Whitney U), a single run a side"
        let newHistogram = new.histograms.corrected.histogram, oldHistogram = old.histograms.corrected.histogram
        let newSeconds = newWindows.map(\.client.histogram), oldSeconds = oldWindows.map(\.client.histogram)
        return Metric.allCases.map { metric in
            let p: Double, baseline: Double, current: Double
            if let percentile = metric.percentile {
                p = Statistics.mannWhitneyP(
                    newSeconds.map { $0.milliseconds(atPercentile: percentile) }, oldSeconds.map { $0.milliseconds(atPercentile: percentile) })
                baseline = oldHistogram.milliseconds(atPercentile: percentile)
                current = newHistogram.milliseconds(atPercentile: percentile)
            } else {
                p = Statistics.mannWhitneyP(newWindows.map { Double($0.requests) }, oldWindows.map { Double($0.requests) })
                baseline = old.requestsPerSecond
                current = new.requestsPerSecond
            }
            var tolerance = metric == .throughput ? settings.throughput : settings.latency
            tolerance.relativePercent = max(tolerance.relativePercent, noise)
            return .decide(
                scenario: scenario, metric: metric.name, polarity: metric.polarity, baseline: baseline, current: current, tolerance: tolerance,
                method: method, pValue: p, significant: p < settings.significance, noisePercent: noise, noiseMeasured: false)
        }
    }

    /// Failed requests over all repetitions, by a two-proportion z test.
    static func errorRate(_ scenario: String, new: [RepetitionFigures], old: [RepetitionFigures], settings: Settings) -> MetricComparison {
        let newErrors = new.reduce(0) { $0 + $1.failedRequests }, newTotal = new.reduce(0) { $0 + $1.requests }
        let oldErrors = old.reduce(0) { $0 + $1.failedRequests }, oldTotal = old.reduce(0) { $0 + $1.requests }
        let p = twoProportionP(newErrors, max(newTotal, 1), oldErrors, max(oldTotal, 1))
        return .decide(
            scenario: scenario, metric: "error_rate_percent", polarity: .smallerIsBetter,
            baseline: Double(oldErrors) * 100 / Double(max(oldTotal, 1)), current: Double(newErrors) * 100 / Double(max(newTotal, 1)),
            tolerance: settings.errorRate, method: "two-proportion z test", pValue: p, significant: p < settings.significance,
            noisePercent: nil, noiseMeasured: false)
    }

    /// Holm's step-down over every test of one comparison: the chance that a rerun of the same build
    /// shows any change at all stays under `alpha`, however many scenarios and metrics are compared.
    static func holm(_ metrics: [MetricComparison], alpha: Double) -> [MetricComparison] {
        let tested = metrics.indices.filter { metrics[$0].pValue != nil && metrics[$0].outcome != .notJudged }
            .sorted { metrics[$0].pValue! < metrics[$1].pValue! }
        var result = metrics
        var rejecting = true
        for (rank, index) in tested.enumerated() {
            rejecting = rejecting && metrics[index].pValue! < alpha / Double(tested.count - rank)
            result[index] = metrics[index].judged(significant: rejecting)
        }
        return result
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

    /// What differs between the environments two reports were measured in.
    static func environmentWarnings(current: EnvironmentInfo, baseline: EnvironmentInfo) -> [String] {
        var warnings: [String] = []
        func differs(_ what: String, _ new: String?, _ old: String?, _ note: String = "") {
            if new != old { warnings.append("\(what) differs: \(old ?? "unknown") in the baseline, \(new ?? "unknown") now\(note)") }
        }
        differs("machine", current.machine, baseline.machine)
        differs("cores", String(current.cores), String(baseline.cores))
        if abs(current.memoryMB - baseline.memoryMB) > max(current.memoryMB, baseline.memoryMB) / 20 {
            differs("memory", "\(current.memoryMB) MB", "\(baseline.memoryMB) MB")
        }
        differs("PostgreSQL", current.postgresVersion, baseline.postgresVersion)
        differs("archmesh", current.archmeshVersion, baseline.archmeshVersion)
        differs("build", current.commit, baseline.commit, " (expected when a change is being judged)")
        differs("scenario file", current.configuration, baseline.configuration)
        differs("scale", String(current.scale), String(baseline.scale))
        return warnings
    }
}
