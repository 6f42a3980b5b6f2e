import Foundation
import LoadEngine

/// `archmesh capacity --html`: the answer, what gave first, the latency-versus-rate curve, every
/// hold, and the concurrency sweep against its Universal Scalability Law fit; one page, no script.
public enum CapacityHTML {
    public static func render(_ report: CapacityReport) -> String {
        HTMLReport.document(
            title: "archmesh capacity, " + HTMLFormat.date(report.startedAt),
            body: [header(report), curve(report), steps(report), sweep(report)])
    }

    static func header(_ report: CapacityReport) -> String {
        let answer: String
        if let stopped = report.stopped, report.maxSustainableRPS == nil {
            answer = HTMLReport.badge("STOPPED", "stopped") + " " + stopped.markupEscaped
        } else if let refused = report.refused {
            answer = HTMLReport.badge("REFUSED", "fail") + " " + refused.markupEscaped
        } else if let rps = report.maxSustainableRPS {
            answer = HTMLReport.badge("\(HTMLFormat.fixed(rps, rps >= 100 ? 0 : 1)) requests/s", "pass")
                + " the highest rate that met every objective in two holds" + (report.atCeiling ? " (the search's ceiling: the target may take more)" : "")
        } else {
            answer = HTMLReport.badge("NONE", "fail") + " no rate down to the search's floor met the objectives"
        }
        let facts: [(String, String)] = [
            ("Target", report.target), ("Load", (report.scenario.map { "scenario \($0): " } ?? "") + report.endpoints.joined(separator: ", ")),
            ("Objectives", report.objectives.map(\.description).joined(separator: ", ")),
            ("Hold", HTMLFormat.duration(seconds: report.holdSeconds) + " per rate, the answer held twice"),
            ("Search", "from \(HTMLFormat.fixed(report.startRate, 1)) requests/s, x\(HTMLFormat.fixed(report.growth, 1)) until a failure, then bisection to \(HTMLFormat.fixed(report.resolution * 100, 1))%; "
                + "\(report.steps.count) holds in \(HTMLFormat.duration(seconds: report.searchSeconds))"),
            ("Requests in flight", "at most \(report.maxInFlight)"), ("Started", HTMLFormat.date(report.startedAt)),
        ]
        var parts = ["<header><h1>Capacity</h1><p>\(answer)</p>",
                     "<dl class=\"facts\">" + facts.map { "<dt>\($0.0.markupEscaped)</dt><dd>\($0.1.markupEscaped)</dd>" }.joined() + "</dl></header>"]
        if let limiting = report.limiting {
            parts.append("<section><h2>What gave first: \(limiting.component.markupEscaped)</h2><p>\(limiting.reason.markupEscaped)"
                + (report.firstBadRate.map { " (first bad rate \(HTMLFormat.fixed($0, 1)) requests/s)." } ?? ".") + "</p>"
                + HTMLReport.list(limiting.evidence) + "</section>")
        }
        return parts.joined(separator: "\n")
    }

    /// Latency percentiles against the arrival rate: the last hold of each rate, in rate order; and,
    /// since the holds far past the answer set the scale, the same up to the first bad rate.
    static func curve(_ report: CapacityReport) -> String {
        let byRate = Dictionary(report.steps.map { ($0.rate, $0) }, uniquingKeysWith: { $1 }).values.sorted { $0.rate < $1.rate }
        guard !byRate.isEmpty else { return "" }
        var figures = [chart(byRate, report: report, caption: "Corrected latency percentiles at each rate held (the last hold of a rate)")]
        if let firstBad = report.firstBadRate, byRate.contains(where: { $0.rate > firstBad }) {
            figures.append(chart(byRate.filter { $0.rate <= firstBad }, report: report, caption: "The same, up to the first bad rate"))
        }
        return "<section><h2>Latency against rate</h2>" + figures.joined(separator: "\n") + "</section>"
    }

    private static func chart(_ byRate: [CapacityStep], report: CapacityReport, caption: String) -> String {
        func series(_ name: String, _ color: String, _ value: (CapacityStep) -> Double) -> SVGChart.Series {
            SVGChart.Series(name: name, color: color, points: byRate.map { ($0.rate, value($0).isFinite ? value($0) : nil) })
        }
        var lines = [
            series("p50", ChartPalette.clientP50, { $0.latencyMs.p50 }), series("p95", ChartPalette.clientP95, { $0.latencyMs.p95 }),
            series("p99", ChartPalette.clientP99, { $0.latencyMs.p99 }),
        ]
        for objective in report.objectives where objective.unit == "ms" {
            lines.append(SVGChart.Series(
                name: "objective \(objective.description)", color: ChartPalette.errors, dashed: true,
                points: [(byRate.first!.rate, objective.limit), (byRate.last!.rate, objective.limit)]))
        }
        let chart = SVGChart(title: "Latency against arrival rate (ms)", xLabel: "requests per second asked for", yLabel: "ms", content: .lines(lines))
        return HTMLReport.figure(caption, chart, note: "Latency runs from each request's intended send time, so queueing in front of the server counts.")
    }

    static func steps(_ report: CapacityReport) -> String {
        let columns: [HTMLTable.Column] = [
            .number("#"), .text("Phase"), .number("Rate"), .number("Achieved"), .number("p50 ms"), .number("p95 ms"), .number("p99 ms"),
            .number("Errors %"), .text("Verdict"),
        ]
        let rows = report.steps.map { step -> [String] in
            let failed = step.objectives.filter { !$0.met }.map(\.objective)
            let verdict = step.met ? "good" : "bad: " + (failed + (step.engineSaturated ? ["load engine saturated"] : [])).joined(separator: ", ")
            return [
                "\(step.number)", step.phase.rawValue, HTMLFormat.fixed(step.rate, 1), HTMLFormat.fixed(step.achievedRPS, 1),
                HTMLFormat.milliseconds(step.latencyMs.p50), HTMLFormat.milliseconds(step.latencyMs.p95), HTMLFormat.milliseconds(step.latencyMs.p99),
                HTMLFormat.percent(step.errorPercent), verdict,
            ]
        }
        return "<section><h2>Every hold</h2>" + HTMLTable(columns, rows: rows).render() + "</section>"
    }

    static func sweep(_ report: CapacityReport) -> String {
        guard !report.sweep.isEmpty else { return "" }
        var lines = [SVGChart.Series(name: "measured", color: ChartPalette.requests, points: report.sweep.map { (Double($0.users), $0.achievedRPS) })]
        var note = "No Universal Scalability Law fit: it needs three concurrencies with throughput from an engine that kept up."
        if let usl = report.usl {
            let top = Double(report.sweep.map(\.users).max() ?? 1)
            let samples = stride(from: 1.0, through: top, by: max(top / 60, 0.25)).map { ($0, usl.throughput(users: $0)) as (x: Double, y: Double?) }
            lines.append(SVGChart.Series(name: "USL fit", color: ChartPalette.clientP99, dashed: true, points: samples))
            note = "Fit: lambda \(HTMLFormat.fixed(usl.lambda, 1)) requests/s per user, contention sigma \(HTMLFormat.fixed(usl.sigma, 4)), "
                + "coherency kappa \(HTMLFormat.fixed(usl.kappa, 6)), R² \(HTMLFormat.fixed(usl.rSquared, 3)). "
                + (usl.peakUsers.map { users in "Predicted peak \(HTMLFormat.fixed(usl.peakRPS, 0)) requests/s at \(HTMLFormat.fixed(users, 1)) users." }
                    ?? (usl.peakRPS.map { "No peak: throughput levels off towards \(HTMLFormat.fixed($0, 0)) requests/s." } ?? ""))
        }
        let chart = SVGChart(title: "Throughput against users (closed model)", xLabel: "users", yLabel: "requests/s", content: .lines(lines))
        let columns: [HTMLTable.Column] = [.number("Users"), .number("Req/s"), .number("p50 ms"), .number("p99 ms"), .number("Errors %"), .text("Engine")]
        let rows = report.sweep.map {
            ["\($0.users)", HTMLFormat.fixed($0.achievedRPS, 1), HTMLFormat.milliseconds($0.latencyMs.p50), HTMLFormat.milliseconds($0.latencyMs.p99),
             HTMLFormat.percent($0.errorPercent), $0.engineSaturated ? "saturated (left out of the fit)" : "kept up"]
        }
        return "<section><h2>Concurrency sweep</h2>" + HTMLReport.figure("Measured throughput and the fitted curve", chart, note: note)
            + HTMLTable(columns, rows: rows).render() + "</section>"
    }
}
