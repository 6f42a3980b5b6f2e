import ArchMeshDatabase
import ArgumentParser
import Foundation
import LoadEngine
import Logging
import PerfSuite

/// `archmesh run`: the whole suite, end to end.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scenarios against the reference server and write a report.",
        discussion: """
            With no --target: starts PostgreSQL (DATABASE_URL, the `archmesh db` cluster, or a throwaway one),
            migrates, seeds what the scenarios need, starts the server as a child process, runs, stops everything.
            Exit codes: 0 every threshold held, 1 a threshold failed (at --fail-on severity or above),
            2 bad usage or input, 130 interrupted (the report written so far is marked so).
            """)

    @Flag(help: "List the scenarios and exit.")
    var list = false

    @Option(parsing: .upToNextOption, help: "Run only these scenarios (keys, see --list).")
    var scenarios: [String] = []

    @Option(help: "Run only scenarios of this type: load, stress, spike, volume, endurance, memory, cpu.")
    var type: ScenarioType?

    @Option(help: "Run only scenarios of this severity: low, medium, high, critical.")
    var severity: Severity?

    @Option(help: "A scenario file (YAML) instead of the built-in one.")
    var config: String?

    @Option(help: "Where to write the JSON report (kept up to date while the suite runs).")
    var output = "archmesh-report.json"

    @Option(help: "Fail (exit 1) only for failed scenarios of this severity or higher.")
    var failOn: Severity = .low

    @Option(help: "Use this running server instead of starting one (e.g. http://127.0.0.1:8080).")
    var target: String?

    @Flag(help: "Allow a --target that is not on this machine's loopback.")
    var allowRemote = false

    @OptionGroup(title: "HTTPS (with an https:// --target)")
    var tls: TLSClientOptions

    @Flag(help: "With --target: load over HTTP/2 (h2 by ALPN over https://, h2c over http://).")
    var http2 = false

    @Option(help: "With --http2: requests in flight per connection (streams).")
    var streams: Int = 1

    @Option(help: "Multiply every scenario's requests and durations by this (e.g. 0.1 for a quick smoke run).")
    var scale: Double = 1

    @Option(name: .customLong("repeat"), help: ArgumentHelp(
        "Run every scenario this many times, in rounds, restarting the server between rounds.",
        discussion: "A baseline or comparison with 3 or more repetitions measures the run-to-run noise; single runs can only assume it."))
    var repetitions = 1

    @Option(help: ArgumentHelp(
        "Start the reference server with these faults set (the JSON PUT /_faults takes), e.g. '{\"latency_ms\": 5}'.",
        discussion: "For proofs and demonstrations: a slowed server to see a regression flagged, an erroring one to see thresholds fail."))
    var serverFaults: String?

    @OptionGroup var outputs: ReportOutputs

    @Option(help: "Compare the run with this baseline report; exit 3 on a regression.")
    var baseline: String?

    @Option(help: "Also save the report as a baseline for later runs' --baseline.")
    var saveBaseline: String?

    @OptionGroup var tolerances: ToleranceOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard scale > 0, scale <= 100 else { throw ValidationError("--scale must be more than 0 and at most 100, got \(scale)") }
        guard (1...100).contains(repetitions) else { throw ValidationError("--repeat must be 1 to 100, got \(repetitions)") }
        if serverFaults != nil && target != nil { throw ValidationError("--server-faults is for the server `run` starts; with --target, set faults on your server") }
        if http2 && target == nil { throw ValidationError("--http2 is for a --target (start `archmesh serve --http2` and point --target at it)") }
        guard (1...1_000).contains(streams) else { throw ValidationError("--streams must be 1 to 1000, got \(streams)") }
        if streams > 1 && !http2 { throw ValidationError("--streams needs --http2") }
    }

    func run() async throws {
        let logger = logging.makeLogger(label: "archmesh.run")
        let suite: SuiteConfiguration
        let selected: [Scenario]
        do {
            suite = try config.map(SuiteConfiguration.load(path:)) ?? SuiteConfiguration.builtIn()
            selected = try ScenarioSelection(keys: scenarios, type: type, severity: severity).apply(to: suite)
        } catch let error as ConfigurationError {
            throw CommandFailure.badUsage(error.description)
        } catch let error as SuiteError {
            throw CommandFailure.badUsage(error.description)
        }
        if list {
            print(SummaryTable.list(selected, configuration: suite))
            return
        }
        // A bad baseline is found before anything starts, not after the run.
        let base: SuiteReport?
        do {
            base = try baseline.map(RegressionComparison.loadBaseline)
        } catch let error as ReportError {
            throw CommandFailure.badUsage(error.description)
        }
        let environment = try await makeEnvironment(logger: logger)
        var options = SuiteRunner.Options()
        options.scale = scale
        options.outputPath = output
        options.repetitions = repetitions
        let runner = SuiteRunner(configuration: suite, scenarios: selected, environment: environment, options: options, logger: logger)
        print("Running \(selected.count) scenarios against \(environment.summary)")
        print(SummaryTable.header())
        let progress = ProgressLine()
        let report: SuiteReport
        do {
            report = try await Interrupts.cancellingOnSignals {
                await runner.run { event in
                    switch event {
                    case .preparing(let scenario): progress.note("\(scenario.key): seeding its dataset")
                    case .started(let scenario): progress.note("\(scenario.key): running")
                    case .progress(_, let live): progress.show(live)
                    case .finished(let result):
                        progress.clear()
                        print(SummaryTable.row(result))
                    }
                }
            }
        } catch {
            await environment.stop()
            throw error
        }
        await environment.stop()
        print("")
        print(SummaryTable.footer(report))
        try outputs.write(report)
        print("Report: \(output)" + (environment.serverLog.map { "; server log: \($0)" } ?? "") + (outputs.html.map { "; HTML: \($0)" } ?? ""))
        if let saveBaseline, !report.interrupted {
            do { try report.write(to: saveBaseline) } catch { throw CommandFailure.badUsage("cannot write the baseline \(saveBaseline): \(error)") }
            print("Baseline saved: \(saveBaseline)")
        }
        if report.interrupted { throw ExitCode(ExitStatus.interrupted) }
        if let base, let baseline {
            print("")
            try Compare.judge(report, against: base, currentName: output, baselineName: baseline, settings: tolerances.settings, json: nil)
        }
        let failing = report.scenarios.filter { !$0.passed && $0.severity >= failOn }
        if !failing.isEmpty { throw ExitCode(ExitStatus.failed) }
    }

    private func makeEnvironment(logger: Logger) async throws -> any TargetEnvironment {
        if let target {
            do {
                let loadTarget = try LoadTarget(url: target)
                try loadTarget.requireLoopback(allowRemote: allowRemote)
                let database = try ProcessInfo.processInfo.environment["DATABASE_URL"].map(DatabaseURL.init(parsing:))
                return RemoteEnvironment(target: loadTarget, database: database, tls: tls.options, http2Streams: http2 ? streams : nil)
            } catch let error as LoadEngineError {
                throw CommandFailure.badUsage(error.description)
            } catch {
                throw CommandFailure.from(error)
            }
        }
        let runDirectory = URL(fileURLWithPath: output).deletingLastPathComponent()
        let stem = URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent
        do {
            return try await LocalEnvironment.start(
                executable: ServerProcess.currentExecutable, serverLog: runDirectory.appendingPathComponent("\(stem).server.log"),
                faults: serverFaults, logger: logger)
        } catch {
            throw CommandFailure.from(error)
        }
    }
}

extension ScenarioType: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}
