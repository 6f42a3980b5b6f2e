import Foundation

/// A comparison for a terminal: regressions first, then improvements, then how many held.
public enum ComparisonText {
    public static func render(_ comparison: RegressionComparison, current: String, baseline: String) -> String {
        var lines = ["Comparing \(current) against the baseline \(baseline)"]
        let settings = comparison.settings
        lines.append(
            "  tolerances: latency \(format(settings.latency)), throughput \(format(settings.throughput)), error rate \(format(settings.errorRate));"
                + " significance p < \(settings.significance)")
        for (title, metrics) in [("Regressions", comparison.regressions), ("Improvements", comparison.improvements)] {
            lines.append("")
            lines.append("\(title): \(metrics.isEmpty ? "none" : "\(metrics.count)")")
            for metric in metrics { lines.append("  " + line(metric)) }
        }
        lines.append("")
        lines.append("Unchanged: \(comparison.unchanged.count) metrics")
        for metric in comparison.unchanged where metric.explanation.hasPrefix("beyond") { lines.append("  " + line(metric)) }
        for note in comparison.notCompared { lines.append("Not compared: \(note)") }
        return lines.joined(separator: "\n")
    }

    static func line(_ metric: MetricComparison) -> String {
        let p = metric.pValue.map { String(format: ", p=%.4f", $0) } ?? ""
        return "\(metric.scenario) \(metric.metric): " + String(format: "%.3f → %.3f (%+.1f%%)", metric.baseline, metric.current, metric.changePercent)
            + " — \(metric.explanation) [\(metric.method)\(p)]"
    }

    static func format(_ tolerance: Tolerance) -> String {
        String(format: "%.0f%% and %.3g", tolerance.relativePercent, tolerance.absolute)
    }
}
