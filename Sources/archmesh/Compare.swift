import ArgumentParser
import Foundation
import PerfSuite

/// `archmesh compare NEW BASELINE`: did anything get worse, beyond noise and tolerance?
struct Compare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a report with a baseline, scenario by scenario, statistically.",
        discussion: """
            Latency quantiles (smaller is better), throughput (larger is better) and the error rate. Reports
            made with --repeat N are compared run by run (Student's t on log values, with the run-to-run
            noise the repetitions measure); single runs of 10 s or more by their per-second windows
            (Mann-Whitney U) with an assumed run-to-run noise; shorter single runs are not judged.
            A change counts only when it is significant and beyond the tolerances.
            Exit codes: 0 no regression, 3 a regression, 2 a missing or incompatible file.
            """)

    @Argument(help: "The new report.")
    var current: String

    @Argument(help: "The baseline report (from `archmesh run --save-baseline`, or any earlier report).")
    var baseline: String

    @OptionGroup var tolerances: ToleranceOptions

    @Option(help: "Write the comparison as JSON to this file.")
    var json: String?

    func run() async throws {
        let report: SuiteReport
        let base: SuiteReport
        do {
            report = try SuiteReport.read(from: current)
            base = try RegressionComparison.loadBaseline(baseline)
        } catch let error as ReportError {
            throw CommandFailure.badUsage(error.description)
        }
        try Self.judge(report, against: base, currentName: current, baselineName: baseline, settings: tolerances.settings, json: json)
    }

    /// Prints the comparison, writes it if asked, and exits 3 on a regression.
    static func judge(
        _ report: SuiteReport, against base: SuiteReport, currentName: String, baselineName: String, settings: RegressionComparison.Settings,
        json: String?
    ) throws {
        try show(RegressionComparison(current: report, baseline: base, settings: settings), currentName: currentName, baselineName: baselineName, json: json)
    }

    /// Prints a comparison (and writes it as JSON to `json`); exit 3 when it found a regression.
    static func show(_ comparison: RegressionComparison, currentName: String, baselineName: String, json: String?) throws {
        print(ComparisonText.render(comparison, current: currentName, baseline: baselineName))
        if let json {
            let data = try SuiteReport.encoder.encode(comparison)
            try ReportOutputs.write(String(decoding: data, as: UTF8.self), to: json)
        }
        if comparison.hasRegression { throw ExitCode(ExitStatus.regression) }
    }
}

/// The tolerances a comparison allows, shared by `compare` and `run --baseline`.
struct ToleranceOptions: ParsableArguments {
    @Option(help: "Latency may grow by this many percent before it counts.")
    var latencyTolerance: Double = 10

    @Option(help: "...and by this many milliseconds.")
    var latencyToleranceMs: Double = 1

    @Option(help: "Throughput may fall by this many percent before it counts.")
    var throughputTolerance: Double = 10

    @Option(help: "The error rate may grow by this many percentage points before it counts.")
    var errorRateTolerance: Double = 1

    @Option(help: "Run-to-run noise assumed for single runs, in percent (repeated runs measure their own).")
    var assumedNoise: Double = 15

    var settings: RegressionComparison.Settings {
        var settings = RegressionComparison.Settings()
        settings.latency = Tolerance(relativePercent: latencyTolerance, absolute: latencyToleranceMs)
        settings.throughput.relativePercent = throughputTolerance
        settings.errorRate = Tolerance(relativePercent: 0, absolute: errorRateTolerance)
        settings.assumedRunNoisePercent = assumedNoise
        return settings
    }

    func validate() throws {
        for (name, value) in [("--latency-tolerance", latencyTolerance), ("--latency-tolerance-ms", latencyToleranceMs),
            ("--throughput-tolerance", throughputTolerance), ("--error-rate-tolerance", errorRateTolerance), ("--assumed-noise", assumedNoise)] where value < 0 || !value.isFinite {
            throw ValidationError("\(name) must be zero or more, got \(value)")
        }
    }
}
