import Foundation

/// `archmesh history trend --html`: one scenario over its recorded runs, latency percentiles,
/// throughput and error rate against the run's number, each run that regressed against the one
/// before marked by a red dashed line on every chart; then the figures as a table. One page, no script.
public enum TrendHTML {
    /// One run's figures, and its verdict against the run before.
    public struct Point: Sendable {
        public var run: Int64
        public var startedAt: Date
        public var build: String
        public var p50: Double
        public var p95: Double
        public var p99: Double
        public var requestsPerSecond: Double
        public var errorRatePercent: Double
        public var passed: Bool
        /// "REGRESSION ...", "improved ...", "no significant change", or "-" for the first.
        public var verdict: String
        public var regressed: Bool

        public init(
            run: Int64, startedAt: Date, build: String, p50: Double, p95: Double, p99: Double, requestsPerSecond: Double, errorRatePercent: Double,
            passed: Bool, verdict: String, regressed: Bool
        ) {
            self.run = run
            self.startedAt = startedAt
            self.build = build
            self.p50 = p50
            self.p95 = p95
            self.p99 = p99
            self.requestsPerSecond = requestsPerSecond
            self.errorRatePercent = errorRatePercent
            self.passed = passed
            self.verdict = verdict
            self.regressed = regressed
        }
    }

    public static func render(scenario: String, points: [Point], summary: [String]) -> String {
        HTMLReport.document(
            title: "archmesh trend, \(scenario)",
            body: [
                "<header><h1>Trend: \(scenario.markupEscaped)</h1><p>Its last \(points.count) complete recorded runs, oldest first; "
                    + "each judged against the run before with the regression test of <code>archmesh compare</code>.</p>"
                    + HTMLReport.list(summary) + "</header>",
                charts(points), table(points),
            ])
    }

    static func charts(_ points: [Point]) -> String {
        guard !points.isEmpty else { return "<p>No recorded runs.</p>" }
        func series(_ name: String, _ color: String, _ value: (Point) -> Double) -> SVGChart.Series {
            SVGChart.Series(name: name, color: color, points: points.map { (Double($0.run), value($0)) })
        }
        /// A red dashed vertical line at every run that regressed, from 0 to `top`.
        func marks(top: Double) -> [SVGChart.Series] {
            let regressed = points.filter(\.regressed)
            guard !regressed.isEmpty else { return [] }
            var marks: [(x: Double, y: Double?)] = []
            for point in regressed {
                marks += [(Double(point.run), 0), (Double(point.run), top), (Double(point.run), nil)]
            }
            return [SVGChart.Series(name: "regression against the run before", color: ChartPalette.errors, dashed: true, points: marks)]
        }
        let latencyTop = points.map(\.p99).max() ?? 0
        let latency = SVGChart(
            title: "Latency percentiles by run (ms)", xLabel: "run", yLabel: "ms", unit: " ms",
            content: .lines([
                series("p50", ChartPalette.clientP50, \.p50), series("p95", ChartPalette.clientP95, \.p95), series("p99", ChartPalette.clientP99, \.p99),
            ] + marks(top: latencyTop)))
        let throughput = SVGChart(
            title: "Throughput by run (requests/s)", xLabel: "run", yLabel: "requests/s",
            content: .lines([series("requests/s", ChartPalette.requests, \.requestsPerSecond)] + marks(top: points.map(\.requestsPerSecond).max() ?? 0)))
        let errors = SVGChart(
            title: "Error rate by run (%)", xLabel: "run", yLabel: "%", unit: "%",
            content: .lines([series("error rate", ChartPalette.errors, \.errorRatePercent)] + marks(top: max(1, points.map(\.errorRatePercent).max() ?? 0))))
        return "<section><h2>Over the runs</h2>"
            + HTMLReport.figure("Client latency (corrected) at p50, p95 and p99", latency, note: "A red dashed line marks a run that regressed against the one before.")
            + HTMLReport.figure("Throughput", throughput) + HTMLReport.figure("Error rate", errors) + "</section>"
    }

    static func table(_ points: [Point]) -> String {
        let columns: [HTMLTable.Column] = [
            .number("Run"), .text("Started"), .text("Build"), .number("Req/s"), .number("p50 ms"), .number("p95 ms"), .number("p99 ms"),
            .number("Errors %"), .text("Result"), .text("Against the run before"),
        ]
        let rows = points.map { point -> [String] in
            [
                "\(point.run)", HTMLFormat.date(point.startedAt), point.build, HTMLFormat.fixed(point.requestsPerSecond, 1),
                HTMLFormat.milliseconds(point.p50), HTMLFormat.milliseconds(point.p95), HTMLFormat.milliseconds(point.p99),
                HTMLFormat.percent(point.errorRatePercent), point.passed ? "PASS" : "FAIL", point.verdict,
            ]
        }
        return "<section><h2>Every run</h2>" + HTMLTable(columns, rows: rows).render() + "</section>"
    }
}
