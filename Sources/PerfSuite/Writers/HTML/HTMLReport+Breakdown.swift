/// Where each endpoint's time went: mean components as stacked bars, quantiles per component, the
/// bottleneck verdict with its evidence, and the rules behind the verdicts.
extension HTMLReport {
    /// The stack's layers, in the order they are drawn; the means add up to the client's.
    static let breakdownLayers = [
        SVGChart.Key(name: "db", color: ChartPalette.database), SVGChart.Key(name: "pool", color: ChartPalette.pool),
        SVGChart.Key(name: "handler (app - db - pool)", color: ChartPalette.application),
        SVGChart.Key(name: "remainder (client - app)", color: ChartPalette.remainder),
    ]

    static func breakdown(_ analysis: ScenarioAnalysis?) -> String {
        guard let analysis, !analysis.breakdown.isEmpty else { return notMeasured() }
        let bars = analysis.breakdown.map { endpoint in
            let parts = endpoint.meanParts
            return SVGChart.Bar(label: endpoint.endpoint, values: [parts.database, parts.pool, parts.handler, parts.remainder].map { max(0, $0) })
        }
        let chart = SVGChart(
            title: "Mean time per request by component, per endpoint", xLabel: "mean ms per request", unit: "ms",
            content: .stackedBars(layers: breakdownLayers, bars: bars))
        let rules = "<details><summary>How verdicts are decided</summary>"
            + "<ol>" + analysis.verdictRules.map { "<li>\($0.markupEscaped)</li>" }.joined() + "</ol></details>"
        return figure("Mean time per request: database, pool wait, handler, and outside the handler", chart)
            + analysis.breakdown.map(endpointBreakdown).joined() + rules
    }

    /// One endpoint: its quantiles per component and the verdict.
    static func endpointBreakdown(_ endpoint: TimeBreakdown) -> String {
        let columns: [HTMLTable.Column] = [.text("Component"), .number("mean ms"), .number("p50 ms"), .number("p95 ms"), .number("p99 ms"), .number("max ms")]
        let components: [(String, Quantiles)] = [
            ("client", endpoint.client), ("app", endpoint.app), ("db", endpoint.database), ("pool", endpoint.pool), ("remainder", endpoint.remainder),
        ]
        let rows = components.map { name, figures in
            [name] + [figures.mean, figures.p50, figures.p95, figures.p99, figures.max].map(HTMLFormat.milliseconds)
        }
        let verdict = endpoint.verdict
        let facts = "\(HTMLFormat.count(endpoint.requests)) requests, \(HTMLFormat.count(endpoint.timedResponses)) with Server-Timing, "
            + "\(HTMLFormat.fixed(endpoint.queriesPerRequest, 2)) queries per request"
        return """
            <div class="endpoint">
            <h4><code>\(endpoint.endpoint.markupEscaped)</code></h4>
            <p class="meta">\(facts.markupEscaped)</p>
            \(endpoint.timedResponses == 0 ? notMeasured("No response carried Server-Timing: only the client's figures are real.") : "")
            \(HTMLTable(columns, rows: rows).render())
            <p>Bottleneck: <span class="badge verdict" style="border-left-color: \(verdictColor(verdict.component))">\
            \(verdict.component.rawValue.markupEscaped)</span> \(verdict.rule.markupEscaped)</p>
            \(verdict.evidence.isEmpty ? "" : list(verdict.evidence, className: "note"))
            </div>
            """
    }

    /// The verdict's component in the colour its layer has in the bars.
    static func verdictColor(_ component: BottleneckVerdict.Component) -> String {
        switch component {
        case .database: ChartPalette.database
        case .pool: ChartPalette.pool
        case .application: ChartPalette.application
        case .clientNetwork: ChartPalette.remainder
        case .unknown: ChartPalette.grid
        }
    }
}
