import Foundation
import LoadEngine

/// The run's summary table for a terminal: one row per scenario, then each threshold violated.
public enum SummaryTable {
    static let columns: [(title: String, width: Int, right: Bool)] = [
        ("Scenario", 22, false), ("Type", 10, false), ("Severity", 9, false), ("Requests", 9, true), ("Req/s", 10, true),
        ("Avg ms", 9, true), ("p95 ms", 9, true), ("CPU %", 7, true), ("Mem MB", 8, true), ("Success", 9, true), ("Result", 8, true),
    ]

    public static func header() -> String {
        columns.map { LoadSummaryText.pad($0.title, $0.width, right: $0.right) }.joined()
    }

    /// One scenario's row.
    public static func row(_ result: ScenarioResult) -> String {
        let cells = [
            result.key, result.type.rawValue, result.severity.rawValue, "\(result.totalRequests)",
            LoadSummaryText.format(result.requestsPerSecond, 1), LoadSummaryText.format(result.averageResponseTimeMs, 2),
            LoadSummaryText.format(result.p95ResponseTimeMs, 2), result.maxCPUPercent.map { LoadSummaryText.format($0, 1) } ?? "-",
            result.maxMemoryMB.map { LoadSummaryText.format($0, 1) } ?? "-", LoadSummaryText.format(result.successRatePercent, 1) + "%",
            result.interrupted ? "STOPPED" : result.aborted != nil ? "ABORTED" : (result.passed ? "PASS" : "FAIL"),
        ]
        return zip(columns, cells).map { LoadSummaryText.pad($1, $0.width, right: $0.right) }.joined()
    }

    /// The whole table, the totals and the violations.
    public static func render(_ report: SuiteReport) -> String {
        ([header()] + report.scenarios.map(row) + ["", footer(report)]).joined(separator: "\n")
    }

    /// The totals and every violated threshold, for after the rows.
    public static func footer(_ report: SuiteReport) -> String {
        var lines: [String] = []
        let summary = report.summary
        lines.append("\(summary.passed) passed, \(summary.failed) failed of \(summary.totalScenarios) scenarios" + (report.interrupted ? " (interrupted)" : ""))
        for result in report.scenarios where !result.passed {
            for message in result.thresholdViolations { lines.append("  \(result.key): \(message)") }
            for message in result.errors where result.thresholdViolations.isEmpty || message.contains("failed") { lines.append("  \(result.key): \(message)") }
        }
        for result in report.scenarios {
            if let comparison = result.database { lines.append("  \(result.key): " + DatabaseComparisonText.headline(comparison)) }
        }
        // A result the engine itself limited is said whatever its verdict.
        for result in report.scenarios {
            for warning in result.load?.engine?.warnings ?? [] { lines.append("  \(result.key): WARNING: \(warning)") }
        }
        return lines.joined(separator: "\n")
    }

    /// `archmesh run --list`.
    public static func list(_ scenarios: [Scenario], configuration: SuiteConfiguration) -> String {
        var lines = [LoadSummaryText.pad("Scenario", 24) + LoadSummaryText.pad("Type", 11) + LoadSummaryText.pad("Severity", 10) + "Load"]
        for scenario in scenarios {
            let endpoints = scenario.endpoints.map { configuration.endpoints[$0.name].map { "\($0.method) \($0.path)" } ?? $0.name }
            // A journey's steps are its requests: named in order.
            let target = scenario.journey.map { "a journey: " + $0.steps.map(\.name).joined(separator: ", ") } ?? endpoints.joined(separator: ", ")
            lines.append(LoadSummaryText.pad(scenario.key, 24) + LoadSummaryText.pad(scenario.type.rawValue, 11)
                + LoadSummaryText.pad(scenario.severity.rawValue, 10) + describe(scenario.load) + " on " + target)
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ load: ScenarioLoad) -> String {
        switch load {
        case .requests(let users, let perUser): return "\(users) users x \(perUser) requests"
        case .duration(let users, let duration, _): return "\(users) users for \(LoadSummaryText.format(duration.seconds, 0))s"
        case .spike(let peak, let shape): return "spike \(shape.baselineUsers) → \(peak) users"
        case .rate(let rate, let duration, _): return "\(rate) requests/s for \(LoadSummaryText.format(duration.seconds, 0))s"
        case .userStages(let ramp):
            return "\(ramp.stages.count) stages of users, \(ramp.startUsers) → peak \(ramp.peakUsers), \(LoadSummaryText.format(ramp.duration.seconds, 0))s"
        case .rateStages(let ramp, _):
            let peak = max(ramp.startRate, ramp.stages.map(\.target).max() ?? 0)
            return "\(ramp.stages.count) stages of rate, peak \(LoadSummaryText.format(peak, 0)) requests/s, \(LoadSummaryText.format(ramp.duration.seconds, 0))s"
        }
    }
}
