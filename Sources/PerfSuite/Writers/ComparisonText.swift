import Foundation

/// A comparison for a terminal: what differs between the environments, regressions, improvements,
/// what could not be judged, and how many held.
public enum ComparisonText {
    public static func render(_ comparison: RegressionComparison, current: String, baseline: String) -> String {
        var lines = ["Comparing \(current) against the baseline \(baseline)"]
        let settings = comparison.settings
        lines.append(
            "  tolerances: latency \(format(settings.latency)), throughput \(format(settings.throughput)), error rate \(format(settings.errorRate));"
                + " significance p < \(settings.significance) over the whole comparison (Holm's correction across its tests)")
        lines.append(
            "  method: repeated runs are compared as runs (t test on log values, the noise they measure); single runs with at least "
                + "\(settings.minimumWindows) full seconds by their per-second windows, assuming \(format(settings.assumedRunNoisePercent))% run-to-run noise; "
                + "shorter single runs are not judged")
        for warning in comparison.warnings { lines.append("  warning: \(warning)") }
        for (title, metrics) in [("Regressions", comparison.regressions), ("Improvements", comparison.improvements)] {
            lines.append("")
            lines.append("\(title): \(metrics.isEmpty ? "none" : "\(metrics.count)")")
            for metric in metrics { lines.append("  " + line(metric)) }
        }
        lines.append("")
        lines.append("Unchanged: \(comparison.unchanged.count) metrics")
        for metric in comparison.unchanged where metric.explanation.hasPrefix("beyond") { lines.append("  " + line(metric)) }
        if !comparison.notJudged.isEmpty {
            lines.append("Not judged: \(comparison.notJudged.count) metrics")
            var reasons: [String: [String]] = [:]
            for metric in comparison.notJudged { reasons[metric.scenario + ": " + metric.method, default: []].append(metric.metric) }
            for (reason, metrics) in reasons.sorted(by: { $0.key < $1.key }) { lines.append("  \(reason) (\(metrics.joined(separator: ", ")))") }
        }
        for note in comparison.notCompared { lines.append("Not compared: \(note)") }
        return lines.joined(separator: "\n")
    }

    static func line(_ metric: MetricComparison) -> String {
        let p = metric.pValue.map { String(format: ", p=%.4f", $0) } ?? ""
        let noise = metric.noisePercent.map { String(format: ", noise %@±%.1f%%", metric.noiseMeasured ? "" : "assumed ", $0) } ?? ""
        return "\(metric.scenario) \(metric.metric): " + String(format: "%.3f → %.3f (%+.1f%%)", metric.baseline, metric.current, metric.changePercent)
            + " — \(metric.explanation) [\(metric.method)\(p)\(noise)]"
    }

    static func format(_ tolerance: Tolerance) -> String {
        String(format: "%.0f%% and %.3g", tolerance.relativePercent, tolerance.absolute)
    }

    static func format(_ number: Double) -> String { String(format: "%.0f", number) }
}
