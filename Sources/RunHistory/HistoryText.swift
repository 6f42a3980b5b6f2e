import Foundation
import PerfSuite

/// The history in the terminal: the list of runs, and a scenario's trend.
public enum HistoryText {
    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date) + "Z"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    public static func list(_ runs: [RecordedRun], place: String) -> String {
        guard !runs.isEmpty else { return "No recorded runs in \(place)." }
        var lines = ["Runs recorded in \(place), newest first:", ""]
        lines.append(pad("Run", 6) + pad("Started (UTC)", 22) + pad("Build", 14) + pad("Scale", 7) + pad("Result", 21) + "Scenarios")
        for run in runs {
            let result = run.kind == "capacity" ? (run.passed > 0 ? "capacity: answered" : "capacity: no answer")
                : run.interrupted ? "interrupted" : "\(run.passed) passed, \(run.failed) failed"
            let scenarios = run.scenarios.count > 4 ? run.scenarios.prefix(4).joined(separator: ", ") + ", +\(run.scenarios.count - 4)" : run.scenarios.joined(separator: ", ")
            lines.append(pad(String(run.id), 6) + pad(time(run.startedAt), 22) + pad(String(run.build.prefix(12)), 14)
                + pad(String(format: "%g", run.scale), 7) + pad(result, 21) + scenarios)
        }
        return lines.joined(separator: "\n")
    }

    public static func trend(_ trend: HistoryTrend) -> String {
        guard !trend.rows.isEmpty else { return "No complete recorded run has scenario \(trend.scenario)." }
        let count = trend.rows.count == 1 ? "its one complete recorded run" : "its last \(trend.rows.count) complete recorded runs, oldest first"
        var lines = ["\(trend.scenario): \(count)", ""]
        lines.append(pad("Run", 6) + pad("Started (UTC)", 22) + pad("Build", 14) + padLeft("Req/s", 9) + padLeft("p50 ms", 9)
            + padLeft("p95 ms", 9) + padLeft("p99 ms", 9) + padLeft("Errors", 8) + "  " + pad("Result", 7) + "Against the run before")
        for row in trend.rows {
            let point = row.point
            let verdict = Self.verdict(row)
            lines.append(pad(String(point.run), 6) + pad(time(point.startedAt), 22) + pad(String(point.build.prefix(12)), 14)
                + padLeft(String(format: "%.1f", point.requestsPerSecond), 9) + padLeft(String(format: "%.2f", point.p50), 9)
                + padLeft(String(format: "%.2f", point.p95), 9) + padLeft(String(format: "%.2f", point.p99), 9)
                + padLeft(String(format: "%.2f%%", point.errorRatePercent), 8) + "  " + pad(point.passed ? "PASS" : "FAIL", 7) + verdict)
        }
        lines.append("")
        lines += summary(trend)
        return lines.joined(separator: "\n")
    }

    /// A row's verdict against the run before, in words.
    public static func verdict(_ row: HistoryTrend.Row) -> String {
        guard let regressions = row.regressions, let improvements = row.improvements else { return "-" }
        var verdict = regressions.isEmpty && improvements.isEmpty ? "no significant change" : ""
        if !regressions.isEmpty { verdict += "REGRESSION " + regressions.joined(separator: ", ") }
        if !improvements.isEmpty { verdict += (regressions.isEmpty ? "" : "; ") + "improved " + improvements.joined(separator: ", ") }
        if let notJudged = row.notJudged { verdict += "; " + notJudged }
        return verdict
    }

    /// How often the thresholds and each objective held over the trend's runs.
    public static func summary(_ trend: HistoryTrend) -> [String] {
        guard !trend.rows.isEmpty else { return [] }
        let passed = trend.rows.filter(\.point.passed).count
        var lines = ["Thresholds held in \(passed) of \(trend.rows.count) runs (\(Int((Double(passed) / Double(trend.rows.count) * 100).rounded()))%)."]
        for (objective, held, judged) in trend.objectives {
            lines.append("Objective \(objective): held in \(held) of \(judged) runs (\(Int((Double(held) / Double(max(judged, 1)) * 100).rounded()))%).")
        }
        return lines
    }

    /// The trend as an HTML page (`history trend --html`).
    public static func html(_ trend: HistoryTrend) -> String {
        TrendHTML.render(
            scenario: trend.scenario,
            points: trend.rows.map { row in
                TrendHTML.Point(
                    run: row.point.run, startedAt: row.point.startedAt, build: row.point.build, p50: row.point.p50, p95: row.point.p95,
                    p99: row.point.p99, requestsPerSecond: row.point.requestsPerSecond, errorRatePercent: row.point.errorRatePercent,
                    passed: row.point.passed, verdict: verdict(row), regressed: !(row.regressions ?? []).isEmpty)
            },
            summary: summary(trend))
    }
}
