import ArchMeshDatabase
import ArgumentParser
import Distribution
import Foundation
import LiveDashboard
import LoadEngine
import Logging
import PerfSuite
import RunHistory

/// `archmesh run`: the whole suite, end to end.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scenarios against the reference server and write a report.",
        discussion: """
            With no --target: starts PostgreSQL (DATABASE_URL, the `archmesh db` cluster, or a throwaway one),
            migrates, seeds what the scenarios need, starts the server as a child process, runs, stops everything.
            Every run is recorded in the history (`archmesh history`) unless --no-history.
            Exit codes: 0 every threshold held, 1 a threshold failed (at --fail-on severity or above),
            2 bad usage or input, 3 a regression against --baseline, 130 interrupted (the report written so far is marked so).
            """)

    @Flag(help: ArgumentHelp(
        "Record an on-CPU profile of the server for each scenario (perf record -g) and draw it as a flame graph in the HTML report.",
        discussion: "For the server this command starts. Needs perf (apt-get install linux-perf) and the right to profile; without them a line says so and the run goes on unprofiled."))
    var profile = false

    @Flag(help: "List the scenarios and exit.")
    var list = false

    @Option(parsing: .upToNextOption, help: "Run only these scenarios (keys, see --list).")
    var scenarios: [String] = []

    @Option(help: "Run only scenarios of this type: load, stress, spike, volume, endurance, memory, cpu, rate_limit.")
    var type: ScenarioType?

    @Option(help: "Run only scenarios of this severity: low, medium, high, critical.")
    var severity: Severity?

    @Option(help: "A scenario file (YAML) instead of the built-in one.")
    var config: String?

    @Option(help: "Where to write the JSON report (kept up to date while the suite runs).")
    var output = "archmesh-report.json"

    @Option(help: "Fail (exit 1) only for failed scenarios of this severity or higher.")
    var failOn: Severity = .low

    @OptionGroup var environment: EnvironmentOptions

    @Option(help: "Multiply every scenario's requests and durations by this (e.g. 0.1 for a quick smoke run).")
    var scale: Double = 1

    @Option(name: .customLong("repeat"), help: ArgumentHelp(
        "Run every scenario this many times, in rounds, restarting the server between rounds.",
        discussion: "A baseline or comparison with 3 or more repetitions measures the run-to-run noise; single runs can only assume it."))
    var repetitions = 1

    @OptionGroup var outputs: ReportOutputs

    @Option(help: ArgumentHelp(
        "Compare the run with this baseline: a report file, or a recorded run (last, a run's number, best-of:N); exit 3 on a regression.",
        discussion: "best-of:N takes, of the last N complete recorded runs with these scenarios, the one with the best p95 latencies."))
    var baseline: String?

    @Flag(help: "Do not record this run in the history.")
    var noHistory = false

    @Option(name: .customLong("alert-webhook"), help: ArgumentHelp(
        "POST a JSON alert here for each failed threshold or objective, stopped scenario, interruption and regression (repeatable).",
        discussion: "Slack-compatible `text` plus the facts as fields; loopback only unless --allow-remote. A webhook that fails is a warning."))
    var alertWebhooks: [String] = []

    @Option(help: "Also save the report as a baseline for later runs' --baseline.")
    var saveBaseline: String?

    @OptionGroup var tolerances: ToleranceOptions

    @OptionGroup var dashboard: DashboardOptions

    @OptionGroup var trace: TraceContextOption

    @OptionGroup(title: "Distributed load")
    var distribution: DistributionOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard scale > 0, scale <= 100 else { throw ValidationError("--scale must be more than 0 and at most 100, got \(scale)") }
        guard (1...100).contains(repetitions) else { throw ValidationError("--repeat must be 1 to 100, got \(repetitions)") }
        for url in alertWebhooks {
            do {
                let (target, _) = try LoadTarget.split(url: url)
                try target.requireLoopback(allowRemote: environment.allowRemote)
            } catch let error as LoadEngineError {
                throw ValidationError("--alert-webhook \(url): \(error.description)")
            }
        }
        if distribution.workers != nil && (environment.tls || environment.target?.lowercased().hasPrefix("https:") == true) {
            throw ValidationError("--workers runs plain HTTP for now: the workers are not given the certificate options an HTTPS target needs")
        }
        if distribution.workerNamespaces && environment.target != nil {
            throw ValidationError("--worker-namespaces is for the server this command starts: a --target on loopback cannot be reached from the namespaces")
        }
        if profile && environment.target != nil {
            throw ValidationError("--profile records the server this command starts; with --target, profile your server where it runs")
        }
        if environment.http2.http2 && environment.target == nil && !environment.tls {
            throw ValidationError(EnvironmentOptions.http2NeedsTLS)
        }
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
        var base: (report: SuiteReport, name: String)?
        if let baseline { base = try await Self.loadBaseline(baseline, scenarios: selected.map(\.key), logger: logger) }
        let stem = URL(fileURLWithPath: output).deletingPathExtension().lastPathComponent
        let network = try await distribution.makeNetwork()
        let environment: any TargetEnvironment
        do {
            environment = try await self.environment.makeEnvironment(
                serverLog: URL(fileURLWithPath: output).deletingLastPathComponent().appendingPathComponent("\(stem).server.log"),
                serverHost: network?.hostAddress ?? "127.0.0.1", logger: logger)
        } catch {
            await network?.remove()
            throw error
        }
        var options = SuiteRunner.Options()
        options.scale = scale
        options.outputPath = output
        options.repetitions = repetitions
        options.traceContext = !trace.noTraceContext
        options.profile = profile
        let live: LiveView?
        var pool: WorkerPool?
        do {
            pool = try await distribution.start(
                configuration: suite, configPath: config, logStem: URL(fileURLWithPath: output).deletingPathExtension(), network: network, logger: logger)
            if let pool { options.executor = pool.coordinator }
            live = try await dashboard.start(DashboardFeed(suite: selected, target: environment.summary))
        } catch {
            await pool?.stop()
            await environment.stop()
            await network?.remove()
            throw error
        }
        let runner = SuiteRunner(configuration: suite, scenarios: selected, environment: environment, options: options, logger: logger)
        print("Running \(selected.count) scenarios against \(environment.summary)")
        print(SummaryTable.header())
        let progress = ProgressLine()
        let report: SuiteReport
        let scale = scale
        do {
            report = try await Interrupts.cancellingOnSignals {
                await runner.run { event in
                    live?.feed.handle(event, scale: scale)
                    switch event {
                    case .preparing(let scenario): progress.note("\(scenario.key): seeding its dataset")
                    case .started(let scenario): progress.note("\(scenario.key): running")
                    case .progress(_, let live): progress.show(live)
                    case .replaying(let scenario): progress.note("\(scenario.key): replaying its statements against PostgreSQL with pgbench")
                    case .resources: break
                    case .finished(let result):
                        progress.clear()
                        print(SummaryTable.row(result))
                    }
                }
            }
        } catch {
            await live?.finish(interrupted: true, reportHTML: nil)
            await pool?.stop()
            await environment.stop()
            await network?.remove()
            throw error
        }
        await pool?.stop()
        await environment.stop()
        await network?.remove()
        await live?.finish(interrupted: report.interrupted, reportHTML: HTMLReport.render(report))
        print("")
        print(SummaryTable.footer(report))
        try outputs.write(report)
        print("Report: \(output)" + (environment.serverLog.map { "; server log: \($0)" } ?? "") + (outputs.html.map { "; HTML: \($0)" } ?? ""))
        let recorded = noHistory ? nil : await Self.record(report, reportFile: output, logger: logger)
        if let saveBaseline, !report.interrupted {
            do { try report.write(to: saveBaseline) } catch { throw CommandFailure.badUsage("cannot write the baseline \(saveBaseline): \(error)") }
            print("Baseline saved: \(saveBaseline)")
        }
        let comparison = base.map { RegressionComparison(current: report, baseline: $0.report, settings: tolerances.settings) }
        if !alertWebhooks.isEmpty {
            let alerts = Alert.alerts(for: report, comparison: comparison, run: recorded, reportFile: output)
            let warnings = await AlertWebhooks(urls: alertWebhooks).send(alerts)
            for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            if !alerts.isEmpty { print("Alerts: \(alerts.count) posted to \(alertWebhooks.count) webhook\(alertWebhooks.count == 1 ? "" : "s").") }
        }
        if report.interrupted { throw ExitCode(ExitStatus.interrupted) }
        if let base, let comparison {
            print("")
            try Compare.show(comparison, currentName: output, baselineName: base.name, json: nil)
        }
        let failing = report.scenarios.filter { !$0.passed && $0.severity >= failOn }
        if !failing.isEmpty { throw ExitCode(ExitStatus.failed) }
    }
}

extension Run {
    /// The baseline a `--baseline` names: a report file, or a run read from the history.
    static func loadBaseline(_ text: String, scenarios: [String], logger: Logger) async throws -> (report: SuiteReport, name: String) {
        let reference: BaselineReference
        do {
            reference = try BaselineReference(text)
            if case .file(let path) = reference { return (try RegressionComparison.loadBaseline(path), path) }
        } catch let error as ReportError {
            throw CommandFailure.badUsage(error.description)
        } catch let error as HistoryError {
            throw CommandFailure.badUsage(error.description)
        }
        do {
            return try await HistoryLocation.with(logger: logger) { store, _ in
                let (run, report) = try await store.baseline(reference, scenarios: scenarios)
                return (report, "run \(run) (--baseline \(reference))")
            }
        } catch let error as HistoryError {
            throw CommandFailure.badUsage(error.description)
        } catch {
            throw CommandFailure.badUsage("--baseline \(text) needs the history, which cannot be opened: \(error)")
        }
    }

    /// Records the run and returns its number; a history that cannot be reached is a warning,
    /// never a failed run.
    static func record(_ report: SuiteReport, reportFile: String, logger: Logger) async -> Int64? {
        let path = URL(fileURLWithPath: reportFile).standardizedFileURL.path
        guard let recorded = await History.record("run", logger: logger, { try await $0.record(report, reportFile: path) }) else { return nil }
        let elapsed = recorded.elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))
        print("Recorded as run \(recorded.id) in the history (\(recorded.place)) in \(elapsed).")
        return recorded.id
    }
}

extension ScenarioType: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}
