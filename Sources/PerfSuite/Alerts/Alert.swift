import Foundation

/// One thing a run's watchers should hear of: a failed threshold or objective, a scenario stopped
/// by its objective, an interrupted run, or a regression against the baseline. Sent to webhooks as
/// JSON: Slack-compatible `text`, and the same facts as fields for anything else.
public struct Alert: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case threshold, aborted, interrupted, regression
    }

    public var kind: Kind
    public var text: String
    /// The run's number in the history, when it was recorded.
    public var run: Int64?
    /// The report file (absolute path).
    public var report: String
    public var scenario: String?
    /// The threshold, objective or metric concerned.
    public var objective: String?
    public var measured: Double?
    public var limit: Double?
    /// Regressions: the baseline's figure.
    public var baseline: Double?
    public var startedAt: Date
    public var target: String

    public init(
        kind: Kind, text: String, run: Int64?, report: String, scenario: String?, objective: String?, measured: Double?, limit: Double?,
        baseline: Double?, startedAt: Date, target: String
    ) {
        self.kind = kind
        self.text = text
        self.run = run
        self.report = report
        self.scenario = scenario
        self.objective = objective
        self.measured = measured
        self.limit = limit
        self.baseline = baseline
        self.startedAt = startedAt
        self.target = target
    }

    enum CodingKeys: String, CodingKey {
        case kind, text, run, report, scenario, objective, measured, limit, baseline, startedAt = "started_at", target
    }

    /// The alerts a finished run gives: every failed threshold or objective of every scenario
    /// (objectives are among a scenario's violations), every scenario its objective stopped, the
    /// run's interruption, and every regression `comparison` found.
    public static func alerts(for report: SuiteReport, comparison: RegressionComparison?, run: Int64?, reportFile: String) -> [Alert] {
        let path = URL(fileURLWithPath: reportFile).standardizedFileURL.path
        let runName = run.map { "run \($0)" } ?? "the run"
        func alert(_ kind: Kind, _ text: String, scenario: String? = nil, objective: String? = nil, measured: Double? = nil,
                   limit: Double? = nil, baseline: Double? = nil) -> Alert {
            Alert(kind: kind, text: "archmesh: \(text) (\(runName); report \(path))", run: run, report: path, scenario: scenario, objective: objective,
                  measured: measured, limit: limit, baseline: baseline, startedAt: report.summary.startTime, target: report.environment.target)
        }
        var alerts: [Alert] = []
        if report.interrupted { alerts.append(alert(.interrupted, "the run was interrupted before its end")) }
        for scenario in report.scenarios {
            if let reason = scenario.aborted {
                alerts.append(alert(.aborted, "\(scenario.key) was stopped early: \(reason)", scenario: scenario.key))
            }
            for violation in scenario.violations {
                alerts.append(alert(.threshold, "\(scenario.key) failed \(violation.metric): \(violation.message)", scenario: scenario.key,
                    objective: violation.metric, measured: violation.actual, limit: violation.limit))
            }
        }
        for regression in comparison?.regressions ?? [] {
            alerts.append(alert(.regression,
                String(format: "%@ regressed on %@: %g -> %g (%+.1f%%)", regression.scenario, regression.metric, regression.baseline,
                    regression.current, regression.changePercent),
                scenario: regression.scenario, objective: regression.metric, measured: regression.current, baseline: regression.baseline))
        }
        return alerts
    }
}
