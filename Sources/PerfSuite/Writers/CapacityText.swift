import Foundation
import LoadEngine

/// `archmesh capacity` for a terminal: each hold as it ends, then the answer, what gave first, and
/// the concurrency sweep with its scalability fit.
public enum CapacityText {
    public static func opening(target: String, endpoints: [String], options: CapacityOptions) -> String {
        "Capacity of \(target) (\(endpoints.joined(separator: ", "))) with \(options.objectives.map(\.description).joined(separator: ", ")), "
            + "holding each rate \(seconds(options.hold.seconds))"
    }

    public static func stepHeader() -> String {
        "  " + pad("#", 4) + pad("phase", 9) + ["rate", "achieved", "p50 ms", "p95 ms", "p99 ms", "errors %"].map { pad($0, 10, right: true) }.joined()
            + "  verdict"
    }

    public static func stepRow(_ step: CapacityStep) -> String {
        let failed = step.objectives.filter { !$0.met }.map(\.objective)
        var verdict = step.met ? "good" : "bad: " + (failed.isEmpty ? "" : failed.joined(separator: ", "))
        if step.engineSaturated { verdict += (failed.isEmpty ? "" : "; ") + "load engine saturated" }
        return "  " + pad("\(step.number)", 4) + pad(step.phase.rawValue, 9)
            + [rate(step.rate), rate(step.achievedRPS), ms(step.latencyMs.p50), ms(step.latencyMs.p95), ms(step.latencyMs.p99), ms(step.errorPercent)]
            .map { pad($0, 10, right: true) }.joined() + "  " + verdict
    }

    public static func sweepHeader() -> String {
        "  " + pad("users", 7) + ["req/s", "p50 ms", "p99 ms", "errors %"].map { pad($0, 10, right: true) }.joined()
    }

    public static func sweepRow(_ step: SweepStep) -> String {
        "  " + pad("\(step.users)", 7)
            + [rate(step.achievedRPS), ms(step.latencyMs.p50), ms(step.latencyMs.p99), ms(step.errorPercent)].map { pad($0, 10, right: true) }.joined()
            + (step.engineSaturated ? "  load engine saturated (left out of the fit)" : "")
    }

    /// The conclusion, after the rows.
    public static func conclusion(_ report: CapacityReport) -> String {
        var lines: [String] = []
        let objectives = report.objectives.map(\.description).joined(separator: ", ")
        if let stopped = report.stopped, report.maxSustainableRPS == nil {
            lines.append("Stopped: \(stopped); no answer.")
        } else if let refused = report.refused {
            lines.append("No capacity answer: \(refused).")
        } else if let answer = report.maxSustainableRPS, let sustained = report.sustainedRate {
            lines.append("Max sustainable rate: \(rate(answer)) requests/s (held \(rate(sustained)) requests/s twice for \(seconds(report.holdSeconds)) each, meeting \(objectives))"
                + (report.atCeiling ? "; the search's ceiling, --max-rate: the target may take more" : ""))
        } else {
            lines.append("No rate down to the search's floor met \(objectives).")
        }
        if let stopped = report.stopped, report.maxSustainableRPS != nil { lines.append("The sweep stopped: \(stopped).") }
        if let bad = report.firstBadRate { lines.append("First bad rate: \(rate(bad)) requests/s.") }
        if let limiting = report.limiting {
            lines.append("What gave first: \(limiting.component): \(limiting.reason).")
            for line in limiting.evidence { lines.append("  " + line) }
        }
        lines.append("Search: \(report.steps.count) holds in \(seconds(report.searchSeconds)), resolution \(LoadSummaryText.format(report.resolution * 100, 1))%.")
        if let usl = report.usl {
            lines.append("")
            lines.append("Universal Scalability Law fit over \(usl.points.count) concurrencies (R² \(LoadSummaryText.format(usl.rSquared, 3))):")
            lines.append("  lambda \(rate(usl.lambda)) requests/s per user, contention sigma \(LoadSummaryText.format(usl.sigma, 4)), coherency kappa \(LoadSummaryText.format(usl.kappa, 6))")
            if let users = usl.peakUsers, let peak = usl.peakRPS {
                lines.append("  predicted peak: \(rate(peak)) requests/s at \(LoadSummaryText.format(users, 1)) users")
            } else if let ceiling = usl.peakRPS {
                lines.append("  no peak (kappa 0): throughput levels off towards \(rate(ceiling)) requests/s")
            }
            lines.append("  " + pad("users", 7) + pad("measured", 10, right: true) + pad("predicted", 11, right: true))
            for point in usl.points {
                lines.append("  " + pad("\(point.users)", 7) + pad(rate(point.measuredRPS), 10, right: true) + pad(rate(point.predictedRPS), 11, right: true))
            }
        } else if !report.sweep.isEmpty {
            lines.append("No scalability fit: it needs three concurrencies with throughput, from an engine that kept up.")
        }
        return lines.joined(separator: "\n")
    }

    private static func rate(_ value: Double) -> String { LoadSummaryText.format(value, value >= 100 ? 0 : 1) }
    private static func ms(_ value: Double) -> String { value.isFinite ? LoadSummaryText.format(value, 2) : "-" }
    private static func seconds(_ value: Double) -> String { LoadSummaryText.format(value, value >= 10 ? 0 : 1) + " s" }
    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String { LoadSummaryText.pad(text, width, right: right) }
}
