import Foundation
import PerfSuite

/// Where one scenario is heading over its last recorded runs: its figures in each, the regression
/// verdict of each run against the run before (the same test `compare` makes, on that scenario
/// alone), and the share of runs in which each of its objectives held.
public struct HistoryTrend: Sendable {
    public struct Row: Sendable {
        public var point: TrendPoint
        /// Against the previous row's run: regressions and improvements, as `metric +x%`; nil for
        /// the first row.
        public var regressions: [String]?
        public var improvements: [String]?
        /// The metrics that could not be judged, and why (runs too short to tell a change from a rerun).
        public var notJudged: String?
    }

    public var scenario: String
    public var rows: [Row]
    /// Each objective: in how many of the rows' runs it held, of how many it was judged in.
    public var objectives: [(objective: String, held: Int, judged: Int)]

    public static func build(
        scenario: String, last: Int, since: Date? = nil, from store: HistoryStore,
        settings: RegressionComparison.Settings = RegressionComparison.Settings()
    ) async throws -> HistoryTrend {
        let points = try await store.trend(scenario: scenario, last: last, since: since)
        var rows: [Row] = []
        var previous: SuiteReport?
        for point in points {
            var row = Row(point: point)
            // A capacity search has no suite report to compare; its rows show its figures alone.
            guard point.kind == "run" else {
                rows.append(row)
                previous = nil
                continue
            }
            let report = try await store.report(run: point.run, scenario: scenario)
            if let previous {
                let comparison = RegressionComparison(current: report, baseline: previous, settings: settings)
                row.regressions = comparison.regressions.map(Self.change)
                row.improvements = comparison.improvements.map(Self.change)
                if let reason = comparison.notJudged.first?.method {
                    row.notJudged = comparison.notJudged.map(\.metric).joined(separator: ", ") + " " + reason
                }
            }
            rows.append(row)
            previous = report
        }
        var objectives: [(String, Int, Int)] = []
        for name in points.flatMap({ $0.objectives.map(\.objective) }).uniqued() {
            let outcomes = points.compactMap { $0.objectives.first { $0.objective == name } }
            objectives.append((name, outcomes.filter(\.met).count, outcomes.count))
        }
        return HistoryTrend(scenario: scenario, rows: rows, objectives: objectives)
    }

    static func change(_ comparison: MetricComparison) -> String {
        String(format: "%@ %+.0f%%", comparison.metric, comparison.changePercent)
    }
}

extension Sequence where Element: Hashable {
    /// The elements in their first order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
