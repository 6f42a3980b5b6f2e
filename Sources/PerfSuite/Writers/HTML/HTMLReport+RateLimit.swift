import LoadEngine

/// A `rate_limit` scenario's limit: accepted answers per second beside the declared limit, the
/// counts, and each check held or broken.
extension HTMLReport {
    static func rateLimit(_ result: ScenarioResult) -> String {
        guard let load = result.load, let observation = result.rateLimit else { return notMeasured() }
        var series = [
            SVGChart.Series(
                name: "accepted", color: ChartPalette.requests,
                points: observation.acceptedPerSecond.enumerated().map { (Double($0.offset), Double($0.element)) }),
        ]
        if let declared = observation.expectation.limit, !observation.acceptedPerSecond.isEmpty {
            series.append(SVGChart.Series(
                name: "declared limit", color: ChartPalette.axis, dashed: true,
                points: [(0, declared), (Double(observation.acceptedPerSecond.count - 1), declared)]))
        }
        if let observed = observation.observedLimit, let first = load.rateLimit?.firstRefusalSeconds {
            series.append(SVGChart.Series(
                name: "observed limit", color: ChartPalette.errors, dashed: true,
                points: [(Double(Int(first) + 1), observed), (Double(Int(first) + observation.secondsObserved), observed)]))
        }
        let chart = SVGChart(title: "Accepted answers per second", xLabel: "second of the run", yLabel: "per second", content: .lines(series))
        let columns: [HTMLTable.Column] = [.text("Check"), .markup("Result"), .text("What was seen")]
        let rows = observation.checks.map { check in
            [check.metric, check.held ? "<span class=\"held\">held</span>" : "<span class=\"broken\">broken</span>", check.message]
        }
        let counts = RateLimitText.lines(load, observation, indent: "").map { $0.trimmingPrefix(while: { $0 == " " }) }.map(String.init)
        return figure("Accepted answers per second (answers without an error)", chart)
            + list(counts) + HTMLTable(columns, rows: rows).render()
    }
}
