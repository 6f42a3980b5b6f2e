/// A database scenario's comparison: the API's throughput beside its database's for the same
/// statements, and each statement replayed or left out with the reason.
extension HTMLReport {
    static func databaseLimit(_ result: ScenarioResult) -> String {
        guard let comparison = result.database else { return notMeasured() }
        var html = "<p>\(DatabaseComparisonText.headline(comparison).markupEscaped)</p>"
        if let database = comparison.databaseRequestsPerSecond {
            let chart = SVGChart(
                title: "Requests a second: the API, and its database for the same statements", xLabel: "requests (or requests' worth) a second",
                unit: " /s",
                content: .stackedBars(
                    layers: [SVGChart.Key(name: "API", color: ChartPalette.requests), SVGChart.Key(name: "database (pgbench)", color: ChartPalette.database)],
                    bars: [
                        SVGChart.Bar(label: "API", values: [comparison.apiRequestsPerSecond, 0]),
                        SVGChart.Bar(label: "database", values: [0, database]),
                    ]))
            html += figure(
                "The API's answers a second, and its database's statements a second over the statements a request ran", chart,
                note: comparison.command)
        }
        let figures = DatabaseComparisonText.figures(comparison)
        if !figures.isEmpty { html += list(figures) }
        let rows = comparison.statements.map { statement in
            [
                statement.query, String(statement.calls), HTMLFormat.fixed(statement.callsPerRequest, 2),
                statement.leftOut == nil ? String(statement.samples) : "-", statement.leftOut.map { "left out: \($0)" } ?? "replayed",
            ]
        }
        html += HTMLTable(
            [.text("Statement"), .number("Calls"), .number("Per request"), .number("Sets of values"), .text("Replay")], rows: rows
        ).render()
        return html
    }
}
