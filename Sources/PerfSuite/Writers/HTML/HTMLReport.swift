import Foundation
import LoadEngine

/// The suite's report as one HTML page that needs nothing else: inline CSS, charts as inline SVG, no
/// script and no external URL, so it can be archived, mailed or opened offline.
public enum HTMLReport {
    /// One self-contained HTML document: inline CSS, charts as inline SVG, no script, no external URL.
    public static func render(_ report: SuiteReport) -> String {
        let body = [header(report), summaryTable(report)] + report.scenarios.map(scenarioSection)
        return document(title: "archmesh-perf report, " + HTMLFormat.date(report.summary.startTime), body: body)
    }

    /// A page around `body`'s parts: inline CSS, nothing to fetch.
    static func document(title: String, body: [String]) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title.markupEscaped)</title>
        <style>
        \(HTMLStyle.css)
        </style>
        </head>
        <body>
        <main>
        \(body.joined(separator: "\n"))
        </main>
        </body>
        </html>

        """
    }

    /// The run as a whole: outcome, where and when it was measured.
    static func header(_ report: SuiteReport) -> String {
        let environment = report.environment, summary = report.summary
        let span = summary.endTime.timeIntervalSince(summary.startTime)
        let facts: [(String, String?)] = [
            ("Machine", "\(environment.machine) (\(environment.operatingSystem))"),
            ("Cores", "\(environment.cores)"), ("Memory", HTMLFormat.count(environment.memoryMB) + " MB"),
            ("archmesh", environment.archmeshVersion), ("Swift", environment.swiftVersion), ("PostgreSQL", environment.postgresVersion),
            ("Commit", environment.commit), ("Target", environment.target), ("Configuration", environment.configuration),
            ("Scale", environment.scale == 1 ? "1 (scenarios as written)" : HTMLFormat.fixed(environment.scale, 2)),
            ("Started", HTMLFormat.date(summary.startTime)),
            ("Ended", HTMLFormat.date(summary.endTime) + " (" + HTMLFormat.duration(seconds: span) + ")"),
            ("Interrupted", report.interrupted ? "yes: stopped before the end; what was measured until then is here" : "no"),
            ("Server log", environment.serverLog), ("Report schema", "\(report.schemaVersion)"),
        ]
        let list = facts.map { "<dt>\($0.0.markupEscaped)</dt><dd>\(($0.1 ?? "not recorded").markupEscaped)</dd>" }.joined()
        let outcome = summary.failed == 0 ? badge("PASS", "pass") : badge("FAIL", "fail")
        return """
            <header>
            <h1>archmesh-perf report</h1>
            <p>\(outcome) \(summary.passed) passed, \(summary.failed) failed of \(summary.totalScenarios) scenarios\
            \(report.interrupted ? " " + badge("INTERRUPTED", "stopped") : "")</p>
            <dl class="facts">\(list)</dl>
            </header>
            """
    }

    /// One row per scenario, as the terminal's summary table, each linking to its section.
    static func summaryTable(_ report: SuiteReport) -> String {
        let columns: [HTMLTable.Column] = [
            .markup("Scenario"), .text("Type"), .text("Severity"), .markup("Result"), .number("Requests"), .number("Req/s"),
            .number("Avg ms"), .number("p95 ms"), .number("Max CPU %"), .number("Max memory MB"), .number("Success %"), .markup("Violations"),
        ]
        let rows = report.scenarios.map { result -> [String] in
            let violations = violationMessages(result)
            return [
                "<a href=\"#\(result.key.markupEscaped)\">\(result.key.markupEscaped)</a>", result.type.rawValue, result.severity.rawValue,
                outcome(result), HTMLFormat.count(result.totalRequests), HTMLFormat.fixed(result.requestsPerSecond, 1),
                HTMLFormat.milliseconds(result.averageResponseTimeMs), HTMLFormat.milliseconds(result.p95ResponseTimeMs),
                HTMLFormat.percent(result.maxCPUPercent), HTMLFormat.fixed(result.maxMemoryMB, 1), HTMLFormat.percent(result.successRatePercent),
                violations.isEmpty ? "<span class=\"held\">none</span>" : violations.map(\.markupEscaped).joined(separator: "<br>"),
            ]
        }
        return "<section id=\"run-summary\"><h2>Summary</h2>" + HTMLTable(columns, rows: rows).render() + "</section>"
    }

    /// A scenario's section: what it is, whether it held, and everything measured about it.
    static func scenarioSection(_ result: ScenarioResult) -> String {
        var meta = ["\(result.type.rawValue) scenario", "severity \(result.severity.rawValue)", result.loadModel]
        meta.append("ran " + HTMLFormat.duration(seconds: result.durationSeconds))
        if let dataset = result.dataset {
            meta.append("dataset: \(HTMLFormat.count(dataset.projects)) projects, \(HTMLFormat.fixed(dataset.workflowsPerProject, 1)) workflows per project")
        }
        var parts = [
            "<section class=\"scenario\" id=\"\(result.key.markupEscaped)\">",
            "<h2>\(result.key.markupEscaped) \(outcome(result))</h2>",
            "<p>\(result.name.markupEscaped)\(result.description.isEmpty ? "" : ": " + result.description.markupEscaped)</p>",
            "<p class=\"meta\">\(meta.map(\.markupEscaped).joined(separator: " · "))</p>",
        ]
        if !result.errors.isEmpty { parts.append(list(result.errors, className: "errors")) }
        parts.append(part("Thresholds", thresholds(result)))
        if let summary = result.load?.journeys { parts.append(part("Journeys", journeys(summary))) }
        parts.append(timelineParts(result))
        parts.append(part("Where the time went", breakdown(result.analysis)))
        parts.append(part("Latency percentile spectrum", spectrum(result.load)))
        parts.append(part("Database statements", statements(result.analysis)))
        if let taken = result.profile { parts.append(part("Server profile", profile(taken))) }
        parts.append(part("Query plans", plans(result.analysis)))
        parts.append(part("Recommendations", recommendations(result.analysis)))
        parts.append(part("Reconciliation", reconciliation(result.analysis)))
        parts.append(part("Slowest requests", exemplars(result)))
        if result.type == .spike || !result.phases.isEmpty { parts.append(part("Spike phases", phases(result.phases))) }
        if result.type == .rateLimit { parts.append(part("Rate limit", rateLimit(result))) }
        if result.type == .database { parts.append(part("Database limit", databaseLimit(result))) }
        return (parts + ["</section>"]).joined(separator: "\n")
    }

    /// Each limit the scenario broke, or that all held; then the limits themselves.
    static func thresholds(_ result: ScenarioResult) -> String {
        let violations = violationMessages(result)
        let verdict = !violations.isEmpty ? list(violations, className: "violations")
            : result.load == nil ? notMeasured("Not judged: nothing was measured.") : "<p class=\"held\">All thresholds held.</p>"
        let limits = result.thresholds
        let stated: [(String, Double?, String)] = [
            ("average ≤ ", limits.maxAverageMs, " ms"), ("p95 ≤ ", limits.maxP95Ms, " ms"), ("throughput ≥ ", limits.minRPS, " req/s"),
            ("server CPU ≤ ", limits.maxCPUPercent, "%"), ("server memory ≤ ", limits.maxMemoryMB, " MB"),
            ("success ≥ ", limits.minSuccessPercent, "%"), ("error rate ≤ ", limits.maxErrorRatePercent, "%"),
        ]
        let set = stated.compactMap { label, limit, unit in limit.map { label + HTMLFormat.fixed($0, $0 == $0.rounded() ? 0 : 2) + unit } }
        return verdict + "<p class=\"note\">Limits: \((set.isEmpty ? "none set" : set.joined(separator: ", ")).markupEscaped)</p>" + objectives(result)
    }

    /// The scenario's objectives: each over the run or its windows, the windows that broke it, and
    /// the share of its budget the run used.
    static func objectives(_ result: ScenarioResult) -> String {
        guard !result.objectives.isEmpty else { return "" }
        let columns: [HTMLTable.Column] = [
            .text("Objective"), .text("Judged"), .markup("Result"), .number("Worst / actual"), .number("Budget burnt %"), .text("Broken windows"),
        ]
        let rows = result.objectives.map { objective -> [String] in
            let judged = objective.windowSeconds.map { "every \($0)s window (\(objective.windowsJudged))" } ?? "whole run"
            let spans = objective.brokenWindows.map { "s \($0.startSecond)–\($0.endSecond): \(HTMLFormat.fixed($0.worst, 2))" }
            return [
                objective.objective + (objective.abortOnFail ? " (aborts)" : ""), judged,
                objective.met ? badge("MET", "pass") : badge("BROKEN", "fail"), HTMLFormat.fixed(objective.actual, 2),
                HTMLFormat.fixed(objective.budgetBurntPercent, 1),
                spans.isEmpty ? "none" : "\(objective.windowsBroken) windows: " + spans.joined(separator: "; "),
            ]
        }
        return "<p class=\"note\">Objectives" + (result.aborted.map { " — aborted: \($0)" } ?? "").markupEscaped + "</p>" + HTMLTable(columns, rows: rows).render()
    }

    static func violationMessages(_ result: ScenarioResult) -> [String] {
        result.violations.isEmpty ? result.thresholdViolations : result.violations.map(\.message)
    }

    static func outcome(_ result: ScenarioResult) -> String {
        (result.passed ? badge("PASS", "pass") : badge("FAIL", "fail")) + (result.interrupted ? " " + badge("STOPPED", "stopped") : "")
            + (result.aborted != nil ? " " + badge("ABORTED", "stopped") : "")
    }

    static func badge(_ text: String, _ className: String) -> String {
        "<span class=\"badge \(className)\">\(text.markupEscaped)</span>"
    }

    /// A titled part of a scenario's section.
    static func part(_ title: String, _ content: String) -> String {
        "<h3>\(title.markupEscaped)</h3>\n\(content)"
    }

    static func list(_ items: [String], className: String? = nil) -> String {
        "<ul\(className.map { " class=\"\($0)\"" } ?? "")>" + items.map { "<li>\($0.markupEscaped)</li>" }.joined() + "</ul>"
    }

    /// What a scenario that did not run (or not this far) shows instead of a figure.
    static func notMeasured(_ why: String = "Not measured.") -> String {
        "<p class=\"na\">\(why.markupEscaped)</p>"
    }

    /// A chart with its caption.
    static func figure(_ caption: String, _ chart: SVGChart, note: String? = nil) -> String {
        "<figure><figcaption>\(caption.markupEscaped)</figcaption>\(chart.render())"
            + (note.map { "<p class=\"note\">\($0.markupEscaped)</p>" } ?? "") + "</figure>"
    }
}
