import Foundation
import LoadEngine

/// `archmesh report`: a report read back and printed for a terminal, scenario by scenario: the
/// verdicts, where each endpoint's time went, the database's busiest statements, the reconciled
/// counts and the slowest requests with their IDs.
public enum CorrelationText {
    public static func render(_ report: SuiteReport, statements: Int = 5, exemplars: Int = 5) -> String {
        var lines = [
            "archmesh report (schema \(report.schemaVersion))" + (report.interrupted ? ", interrupted" : ""),
            "target: \(report.environment.target)",
            "", SummaryTable.render(report),
        ]
        for result in report.scenarios {
            lines.append("")
            lines.append("== \(result.key) (\(result.type.rawValue), \(result.severity.rawValue)): \(result.passed ? "PASS" : "FAIL") — \(result.loadModel)")
            guard let analysis = result.analysis else {
                lines.append("  not measured" + (result.errors.isEmpty ? "" : ": " + result.errors.joined(separator: "; ")))
                continue
            }
            lines += breakdown(analysis)
            for warning in result.load?.engine?.warnings ?? [] { lines.append("  WARNING: \(warning)") }
            if let reason = result.aborted { lines.append("  ABORTED: \(reason)") }
            for objective in result.objectives { lines.append("  " + objectiveLine(objective)) }
            if let journeys = result.load?.journeys { lines.append("  " + journeyLine(journeys)) }
            if let load = result.load, let observation = result.rateLimit {
                lines += RateLimitText.lines(load, observation) + RateLimitText.checks(observation)
            }
            if let comparison = result.database { lines += DatabaseComparisonText.lines(comparison) }
            if let correlation = analysis.timeline.databaseLatencyCorrelation {
                lines.append("  per-second correlation of database time with client latency: " + LoadSummaryText.format(correlation, 2))
            }
            for window in analysis.timeline.errorWindows {
                lines.append("  errors from second \(window.startSecond) to \(window.endSecond): \(window.errors) of \(window.requests) requests failed")
            }
            lines += self.statements(analysis, limit: statements)
            lines += profileLines(result.profile)
            lines += plans(analysis)
            lines += recommendations(analysis)
            lines += reconciliation(analysis.reconciliation)
            lines += self.exemplars(analysis, limit: exemplars)
        }
        return lines.joined(separator: "\n")
    }

    /// `journeys: 120 completed, 2 failed (start workflow 2); duration ms p50 412.00, p95 ..., p99 ...`.
    static func journeyLine(_ journeys: JourneySummary) -> String {
        var line = "journeys: \(journeys.completed) completed, \(journeys.failed) failed"
        if !journeys.failedAtStep.isEmpty {
            line += " (" + journeys.failedAtStep.map { "at \($0.step): \($0.journeys)" }.joined(separator: ", ") + ")"
        }
        if journeys.completed > 0 {
            let duration = journeys.duration
            line += "; duration ms p50 \(LoadSummaryText.format(duration.p50, 2)), p95 \(LoadSummaryText.format(duration.p95, 2)), p99 \(LoadSummaryText.format(duration.p99, 2))"
        }
        return line
    }

    /// `objective p99<200ms per 10s: broken in 3 of 50 windows (worst 812.00), budget 140.0% burnt`.
    static func objectiveLine(_ objective: ObjectiveResult) -> String {
        var line = "objective \(objective.objective)" + (objective.windowSeconds.map { " per \($0)s" } ?? " over the run") + ": "
        let actual = objective.actual.map { LoadSummaryText.format($0, 2) } ?? "beyond every answer"
        if objective.met {
            line += "met (\(objective.windowSeconds == nil ? "" : "worst ")\(actual))"
        } else if objective.windowSeconds != nil {
            line += "broken in \(objective.windowsBroken) of \(objective.windowsJudged) windows (worst \(actual)): "
                + objective.brokenWindows.prefix(3).map { "seconds \($0.startSecond)–\($0.endSecond)" }.joined(separator: ", ")
        } else {
            line += "broken (\(actual))"
        }
        if let budget = objective.budgetBurntPercent { line += ", budget \(LoadSummaryText.format(budget, 1))% burnt" }
        return line
    }

    /// The server profile's top frames, by their own samples and with their callees.
    static func profileLines(_ profile: ServerProfile?) -> [String] {
        guard let profile else { return [] }
        var lines = ["  server profile (perf, \(profile.samples) samples at \(profile.frequencyHz) Hz): top frames by self / total samples"]
        for (label, frames) in [("self", profile.topSelf.prefix(8)), ("total", profile.topTotal.prefix(8))] {
            for frame in frames {
                lines.append("    \(label)  " + LoadSummaryText.pad(LoadSummaryText.format(frame.percent, 1) + "%", 7, right: true) + "  " + String(frame.name.prefix(110)))
            }
        }
        return lines
    }

    /// Each captured plan as a tree, the nodes that took its time marked.
    static func plans(_ analysis: ScenarioAnalysis) -> [String] {
        guard let plans = analysis.plans, !plans.isEmpty else { return [] }
        var lines = ["  query plans (auto_explain on a sample of the server's executions; the slowest of each busy statement):"]
        for plan in plans {
            lines.append("    " + String(plan.query.split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(100)) + " (\(LoadSummaryText.format(plan.durationMilliseconds, 3)) ms)")
            lines += plan.treeLines.map { "      " + $0 }
        }
        return lines
    }

    /// What to change, with the evidence and the expected effect.
    static func recommendations(_ analysis: ScenarioAnalysis) -> [String] {
        guard let found = analysis.recommendations, !found.isEmpty else { return [] }
        var lines = ["  recommendations:"]
        for recommendation in found {
            lines.append("    [\(recommendation.rule)] \(recommendation.title)")
            lines += recommendation.evidence.map { "      evidence: " + $0 }
            lines.append("      do: " + recommendation.action)
            lines.append("      expect: " + recommendation.expectedEffect)
        }
        return lines
    }

    static func breakdown(_ analysis: ScenarioAnalysis) -> [String] {
        var lines = ["  where the time went (ms)     " + ["p50", "p95", "p99", "max", "mean"].map { LoadSummaryText.pad($0, 9, right: true) }.joined()]
        for endpoint in analysis.breakdown {
            lines.append("  \(endpoint.endpoint): \(endpoint.requests) requests, \(LoadSummaryText.format(endpoint.queriesPerRequest, 2)) queries each")
            let parts: [(String, Quantiles)] = [
                ("client", endpoint.client), ("app", endpoint.app), ("db", endpoint.database), ("pool", endpoint.pool), ("remainder", endpoint.remainder),
            ]
            for (name, quantiles) in parts {
                let values = [quantiles.p50, quantiles.p95, quantiles.p99, quantiles.max, quantiles.mean]
                lines.append("    " + LoadSummaryText.pad(name, 26) + values.map { LoadSummaryText.pad(LoadSummaryText.format($0, 2), 9, right: true) }.joined())
            }
            lines.append("    bottleneck: \(endpoint.verdict.component.rawValue) — \(endpoint.verdict.rule)")
            for evidence in endpoint.verdict.evidence { lines.append("      \(evidence)") }
        }
        return lines
    }

    static func statements(_ analysis: ScenarioAnalysis, limit: Int) -> [String] {
        guard let statements = analysis.statements else { return ["  database statements: pg_stat_statements not available"] }
        var lines = ["  busiest statements (pg_stat_statements):", "  " + LoadSummaryText.pad("calls", 10, right: true)
            + LoadSummaryText.pad("total ms", 11, right: true) + LoadSummaryText.pad("mean ms", 10, right: true) + LoadSummaryText.pad("rows", 9, right: true) + "  query"]
        for statement in statements.prefix(limit) {
            let query = statement.singleLineQuery
            lines.append("  " + LoadSummaryText.pad("\(statement.calls)", 10, right: true)
                + LoadSummaryText.pad(LoadSummaryText.format(statement.totalMilliseconds, 1), 11, right: true)
                + LoadSummaryText.pad(LoadSummaryText.format(statement.meanMilliseconds, 3), 10, right: true)
                + LoadSummaryText.pad("\(statement.rows)", 9, right: true) + "  " + String(query.prefix(90)))
        }
        return lines
    }

    static func reconciliation(_ counts: Reconciliation) -> [String] {
        func text(_ value: Int?) -> String { value.map(String.init) ?? "n/a" }
        var lines = [
            "  counts: client \(counts.clientRequests) requests (\(counts.clientAnswered) answered), server \(text(counts.serverRequests)) requests;"
                + " queries: Server-Timing \(counts.serverReportedQueries), server metrics \(text(counts.serverCountedQueries)),"
                + " PostgreSQL \(text(counts.databaseQueries)) — " + (counts.agrees ? "they agree" : "MISMATCH")
        ]
        for finding in counts.findings { lines.append("    finding: \(finding)") }
        for note in counts.notes { lines.append("    note: \(note)") }
        return lines
    }

    static func exemplars(_ analysis: ScenarioAnalysis, limit: Int) -> [String] {
        guard !analysis.exemplars.isEmpty else { return [] }
        var lines = ["  slowest requests (find them in the server log by request ID, in a tracing backend by trace ID):"]
        for logged in analysis.exemplars.prefix(limit) {
            let exemplar = logged.exemplar
            var line = "    \(exemplar.requestID)  \(exemplar.endpoint)  \(exemplar.status)  " + LoadSummaryText.format(exemplar.latencyMilliseconds, 2) + " ms"
            if let timing = exemplar.serverTiming {
                line += "  (app " + LoadSummaryText.format(timing.appMilliseconds, 2) + ", db " + LoadSummaryText.format(timing.databaseMilliseconds, 2)
                    + ", pool " + LoadSummaryText.format(timing.poolMilliseconds, 2) + ", \(timing.queries) queries)"
            }
            line += logged.logLine == nil ? "" : "  [logged]"
            if let trace = exemplar.traceID { line += "  trace \(trace)" }
            lines.append(line)
        }
        return lines
    }
}
