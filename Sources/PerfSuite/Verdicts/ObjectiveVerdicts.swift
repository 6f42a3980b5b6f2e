import Foundation
import LoadEngine

/// A stretch of a run in which a windowed objective was broken: the windows that broke it, merged
/// (from the first one's start to the last one's end), and the worst figure among them.
public struct BrokenWindow: Codable, Sendable, Equatable {
    public var startSecond: Int
    /// Exclusive.
    public var endSecond: Int
    /// Milliseconds or percent; nil when beyond every answer in those windows.
    public var worst: Double?
}

/// How a scenario kept one of its objectives.
public struct ObjectiveResult: Codable, Sendable, Equatable {
    public var objective: String
    /// Judged in every window this long (sliding by a second); nil: over the whole run.
    public var windowSeconds: Int?
    public var abortOnFail: Bool
    public var met: Bool
    /// The whole run's figure, or the worst window's (nil when beyond every answer that came).
    public var actual: Double?
    /// Windowed: how many windows were judged and how many broke the objective.
    public var windowsJudged: Int
    public var windowsBroken: Int
    public var brokenWindows: [BrokenWindow]
    /// The objective as a budget over the whole run (p99<200ms allows 1% of requests above 200 ms;
    /// errors<1% allows 1% of errors): the share of it the run used. Above 100 the budget is spent.
    /// Nil for mean and max, which allow no share.
    public var budgetBurntPercent: Double?
}

/// Judges objectives over a run's per-second windows, as the run goes (to abort it) and at its end.
public enum ObjectiveVerdicts {
    /// One objective over the finished run.
    public static func judge(_ objective: ScenarioObjective, load: LoadResult) -> ObjectiveResult {
        let budget = objective.objective.budgetBurnt(in: load)
        guard let width = objective.windowSeconds else {
            let actual = objective.objective.actual(in: load)
            return ObjectiveResult(
                objective: objective.objective.description, windowSeconds: nil, abortOnFail: objective.abortOnFail,
                met: objective.objective.isMet(by: actual), actual: actual.isFinite ? actual : nil, windowsJudged: 0, windowsBroken: 0,
                brokenWindows: [], budgetBurntPercent: budget)
        }
        let figures = slidingFigures(objective.objective, seconds: load.seconds, width: width)
        var broken: [(start: Int, end: Int, worst: Double)] = []
        var windowsBroken = 0
        for (end, figure) in figures where !objective.objective.isMet(by: figure) {
            windowsBroken += 1
            let start = max(0, end - width + 1)
            if let last = broken.last, start <= last.end {
                broken[broken.count - 1].end = end + 1
                broken[broken.count - 1].worst = max(last.worst, figure)
            } else {
                broken.append((start, end + 1, figure))
            }
        }
        let worst = figures.map(\.figure).max().flatMap { $0.isFinite ? $0 : nil }
        return ObjectiveResult(
            objective: objective.objective.description, windowSeconds: width, abortOnFail: objective.abortOnFail, met: broken.isEmpty,
            actual: worst, windowsJudged: figures.count, windowsBroken: windowsBroken,
            brokenWindows: broken.map { BrokenWindow(startSecond: $0.start, endSecond: $0.end, worst: $0.worst.isFinite ? $0.worst : nil) },
            budgetBurntPercent: budget)
    }

    /// Why the run should stop now, judging each abort-on-fail objective on the seconds over so far
    /// (see `latest`); none before its grace.
    public static func abortReason(_ objectives: [ScenarioObjective], seconds: [SecondWindow]) -> String? {
        guard let last = seconds.last?.second else { return nil }
        for objective in objectives where objective.abortOnFail && Double(last + 1) >= objective.grace.seconds {
            guard let latest = latest(objective, seconds: seconds), !objective.objective.isMet(by: latest.figure) else { continue }
            let span = "seconds \(latest.start)–\(last + 1)"
            return "\(objective.objective.description) broken in \(span) (\(objective.objective.metricName) \(format(latest.figure))\(objective.objective.unit))"
        }
        return nil
    }

    /// An objective's figure on the seconds over so far: a windowed one on its latest window once
    /// that is whole (as at the end of the run), another on everything so far; nil when there is
    /// nothing to judge yet. `start` is the window's first second.
    public static func latest(_ objective: ScenarioObjective, seconds: [SecondWindow]) -> (figure: Double, start: Int)? {
        guard let last = seconds.last?.second else { return nil }
        if let window = objective.windowSeconds, last + 1 < window { return nil }
        let width = objective.windowSeconds ?? (last + 1)
        var window: [SecondWindow] = []
        for second in seconds.reversed() {
            if second.second <= last - width { break }
            window.append(second)
        }
        return figure(objective.objective, over: window).map { ($0, max(0, last - width + 1)) }
    }

    /// The objective's figure in each window of `width` seconds, by the second it ends on; a run
    /// shorter than a window is one window. Windows in which nothing finished are not judged.
    static func slidingFigures(_ objective: ServiceObjective, seconds: [SecondWindow], width: Int) -> [(end: Int, figure: Double)] {
        guard let last = seconds.last?.second else { return [] }
        let bySecond = Dictionary(seconds.map { ($0.second, $0) }, uniquingKeysWith: { $1 })
        var figures: [(Int, Double)] = []
        for end in min(width - 1, last)...last {
            let window = (max(0, end - width + 1)...end).compactMap { bySecond[$0] }
            if let figure = figure(objective, over: window) { figures.append((end, figure)) }
        }
        return figures
    }

    /// The objective's figure over some seconds' windows (nil when nothing finished in them); the
    /// requests that failed without a latency count as slower than every answer, as over a whole run.
    static func figure(_ objective: ServiceObjective, over windows: [SecondWindow]) -> Double? {
        let requests = windows.reduce(0) { $0 + $1.requests }
        guard requests > 0 else { return nil }
        if objective.metric == .errors { return Double(windows.reduce(0) { $0 + $1.failures }) * 100 / Double(requests) }
        var histogram = LatencyHistogram.latency(digits: .two)
        for window in windows { histogram.add(window.client.histogram) }
        return objective.latency(histogram, owed: requests)
    }

    private static func format(_ value: Double) -> String {
        value.isFinite ? (value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)) : "∞"
    }
}

extension ServiceObjective {
    /// The share of the objective's budget a run used, in percent (see `ObjectiveResult`).
    public func budgetBurnt(in result: LoadResult) -> Double? {
        let unfinished = result.unsentRequests + result.cutOffAtEnd
        let owed = result.totalRequests + unfinished
        switch metric {
        case .errors:
            guard limit > 0 else { return nil }
            return actual(in: result) / limit * 100
        case .percentile(let percentile):
            let allowed = (100 - percentile) / 100 * Double(owed)
            guard allowed > 0 else { return nil }
            let micros = UInt64(min(limit, Self.longestLimit) * 1000)
            let histogram = result.histograms.corrected.histogram
            // Never sent, cut off, or failed without a latency: over the limit.
            var over = owed - Int(histogram.totalCount)
            for bucket in histogram.recordedValues() where bucket.value > micros || (!inclusive && bucket.value == micros) {
                over += Int(bucket.count)
            }
            return Double(over) / allowed * 100
        case .mean, .max:
            return nil
        }
    }
}
