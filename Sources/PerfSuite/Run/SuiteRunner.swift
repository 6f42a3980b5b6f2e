import ArchMeshDatabase
import Foundation
import LoadEngine
import Logging
import PostgresNIO

/// Runs the selected scenarios one after another against an environment and judges each against
/// its thresholds. The report is rewritten after every scenario, so an interrupted run still leaves
/// a valid one.
public struct SuiteRunner: Sendable {
    public struct Options: Sendable {
        /// Requests and durations multiplied by this (1: as written).
        public var scale = 1.0
        /// Where to keep the report up to date while the suite runs.
        public var outputPath: String?
        public var exemplars = 10
        /// Memory scenarios: load cycles for the leak check after the judged run (0: no check).
        public var leakCycles = 6
        /// Runs of every scenario, in rounds (all scenarios, then all again), with the server
        /// restarted between rounds when the harness owns it: what a comparison across runs needs.
        public var repetitions = 1

        public init() {}
    }

    /// What the runner tells its caller as it goes.
    public enum Event: Sendable {
        case preparing(Scenario)
        case started(Scenario)
        case progress(Scenario, LiveProgress)
        case finished(ScenarioResult)
    }

    public let configuration: SuiteConfiguration
    public let scenarios: [Scenario]
    public let environment: any TargetEnvironment
    public let options: Options
    public let logger: Logger

    public init(configuration: SuiteConfiguration, scenarios: [Scenario], environment: any TargetEnvironment, options: Options, logger: Logger) {
        self.configuration = configuration
        self.scenarios = scenarios
        self.environment = environment
        self.options = options
        self.logger = logger
    }

    /// Runs every scenario (or until the task is cancelled) and returns the report.
    public func run(events: @escaping @Sendable (Event) -> Void = { _ in }) async -> SuiteReport {
        let postgresVersion = await postgresVersion()
        var report = SuiteReport(
            schemaVersion: SuiteReport.currentSchemaVersion, interrupted: false,
            summary: .init(startTime: Date(), endTime: Date(), totalScenarios: 0, passed: 0, failed: 0),
            environment: .current(
                target: environment.summary, configuration: configuration.source, scale: options.scale, postgresVersion: postgresVersion,
                serverLog: environment.serverLog, repetitions: max(1, options.repetitions)),
            scenarios: [])
        let rounds = max(1, options.repetitions)
        var attempts = [[ScenarioResult]](repeating: [], count: scenarios.count)
        var reported = Set<Int>()
        func finish(_ index: Int) {
            let result = combine(attempts[index])
            report.scenarios.append(result)
            reported.insert(index)
            report.summary = summary(of: report)
            events(.finished(result))
            save(report)
        }
        rounds: for round in 1...rounds {
            if round > 1 {
                do {
                    if try await !environment.restartServer() { report.environment.freshServerPerRepetition = false }
                } catch {
                    logger.error("restarting the server between repetitions failed", metadata: ["error": "\(error)"])
                    report.environment.freshServerPerRepetition = false
                }
            }
            for (index, scenario) in scenarios.enumerated() {
                if Task.isCancelled { report.interrupted = true; break rounds }
                let result = await run(scenario, checkingLeaks: round == rounds, events: events)
                attempts[index].append(result)
                if result.interrupted { report.interrupted = true }
                if round == rounds || result.interrupted { finish(index) }
                if result.interrupted { break rounds }
            }
        }
        // Interrupted before the last round: what each scenario measured so far.
        for index in scenarios.indices where !reported.contains(index) && !attempts[index].isEmpty { finish(index) }
        report.summary = summary(of: report)
        save(report)
        return report
    }

    /// One scenario's repetitions as one result: the repetition with the median p50 stands for the
    /// scenario (its figures, analysis and verdict), every repetition's figures beside it.
    func combine(_ attempts: [ScenarioResult]) -> ScenarioResult {
        guard attempts.count > 1 else { return attempts[0] }
        let measured = attempts.filter { $0.load != nil }.sorted { $0.load!.latency.p50 < $1.load!.latency.p50 }
        var chosen = measured.isEmpty ? attempts[attempts.count - 1] : measured[(measured.count - 1) / 2]
        if chosen.leak == nil, let verdict = attempts.last(where: { $0.leak != nil })?.leak { apply(verdict, to: &chosen) }
        if attempts.contains(where: \.interrupted) {
            chosen.interrupted = true
            chosen.passed = false
        }
        chosen.repetitions = attempts.compactMap { $0.load.map(RepetitionFigures.init) }
        return chosen
    }

    private func summary(of report: SuiteReport) -> SuiteReport.Summary {
        SuiteReport.Summary(
            startTime: report.summary.startTime, endTime: Date(), totalScenarios: report.scenarios.count,
            passed: report.scenarios.filter(\.passed).count, failed: report.scenarios.filter { !$0.passed }.count)
    }

    private func save(_ report: SuiteReport) {
        guard let path = options.outputPath else { return }
        do { try report.write(to: path) } catch { logger.error("cannot write the report", metadata: ["path": "\(path)", "error": "\(error)"]) }
    }

    /// One scenario: its dataset, the load with the resources watched, the verdict.
    func run(_ scenario: Scenario, checkingLeaks: Bool = true, events: @escaping @Sendable (Event) -> Void) async -> ScenarioResult {
        var notes: [String] = []
        if let dataset = scenario.dataset {
            events(.preparing(scenario))
            do {
                if let note = try await environment.prepare(dataset, logger: logger) { notes.append(note) }
            } catch {
                return failed(scenario, error: "seeding the dataset failed: \(error)")
            }
        }
        events(.started(scenario))
        var plan = LoadPlan(target: environment.target, endpoints: configuration.loadEndpoints(for: scenario), model: scenario.loadModel(scale: options.scale))
        plan.exemplars = options.exemplars
        let probe = await CorrelationProbe.start(environment: environment, logger: logger)
        let monitor = ResourceMonitor.start(environment.monitorSource)
        let load: LoadResult
        do {
            load = try await LoadRun.run(plan) { events(.progress(scenario, $0)) }
        } catch {
            _ = await monitor.stop()
            return failed(scenario, error: "\(error)")
        }
        let resources = await monitor.stop()
        let readings = await probe.finish(logger: logger)
        let analysis = ScenarioAnalysis(
            load: load, resources: resources, probe: readings, exemplarLog: probe.logLines(for: load.exemplars.map(\.requestID)))
        var result = judge(scenario, load: load, resources: resources, notes: notes, interrupted: load.interrupted || Task.isCancelled)
        result.analysis = analysis
        if scenario.type == .memory, checkingLeaks, options.leakCycles > 0, !result.interrupted {
            await checkLeak(plan, into: &result)
        }
        return result
    }

    /// Memory scenarios: the same load in cycles, and the trend of the server's memory judged.
    private func checkLeak(_ plan: LoadPlan, into result: inout ScenarioResult) async {
        do {
            apply(try await LeakCheck(cycles: options.leakCycles).run(plan, source: environment.monitorSource, logger: logger), to: &result)
        } catch {
            result.errors.append("leak check failed: \(error)")
        }
    }

    /// A leak verdict into a result: kept, and a violation when it found a leak.
    private func apply(_ verdict: LeakDetector.Verdict, to result: inout ScenarioResult) {
        result.leak = verdict
        if verdict.leaking, let fit = verdict.fit {
            let violation = ThresholdViolation(
                metric: "memory_leak_bytes_per_request", limit: verdict.bytesPerRequestLimit, actual: fit.slope,
                message: "Memory leak: \(verdict.explanation)")
            result.violations.append(violation)
            result.thresholdViolations.append(violation.message)
            result.passed = false
        }
    }

    func judge(_ scenario: Scenario, load: LoadResult, resources: [ResourceSeries], notes: [String], interrupted: Bool) -> ScenarioResult {
        let server = resources.first { $0.process == "server" && !$0.samples.isEmpty }
        let errorRate = load.totalRequests == 0 ? 0 : Double(load.failedRequests) * 100 / Double(load.totalRequests)
        let figures = JudgedFigures(
            averageMs: load.latency.mean, p95Ms: load.latency.p95, requestsPerSecond: load.requestsPerSecond,
            maxCPUPercent: server?.maxCPUPercent, maxMemoryMB: server?.maxMemoryMB, successPercent: load.successRatePercent,
            errorRatePercent: errorRate)
        var violations = scenario.thresholds.violations(of: figures)
        if load.totalRequests == 0 {
            violations.append(ThresholdViolation(metric: "total_requests", limit: 1, actual: 0, message: "No request finished"))
        }
        var errors = notes
        for kind in ErrorKind.allCases where load.errors[kind] > 0 { errors.append("\(load.errors[kind]) \(kind.rawValue) errors") }
        if interrupted { errors.append("interrupted before the scenario's end") }
        return ScenarioResult(
            name: scenario.name, type: scenario.type, severity: scenario.severity, passed: violations.isEmpty && !interrupted,
            durationSeconds: load.durationSeconds, totalRequests: load.totalRequests, successRatePercent: load.successRatePercent,
            averageResponseTimeMs: load.latency.mean, p95ResponseTimeMs: load.latency.p95, requestsPerSecond: load.requestsPerSecond,
            maxCPUPercent: server?.maxCPUPercent, maxMemoryMB: server?.maxMemoryMB, thresholdViolations: violations.map(\.message),
            errors: errors, key: scenario.key, description: scenario.description, interrupted: interrupted, errorRatePercent: errorRate,
            loadModel: describe(scenario.loadModel(scale: options.scale)), dataset: scenario.dataset, thresholds: scenario.thresholds,
            violations: violations, load: load, resources: resources, phases: phases(of: scenario, load: load), analysis: nil, leak: nil)
    }

    private func failed(_ scenario: Scenario, error: String) -> ScenarioResult {
        ScenarioResult(
            name: scenario.name, type: scenario.type, severity: scenario.severity, passed: false, durationSeconds: 0, totalRequests: 0,
            successRatePercent: 0, averageResponseTimeMs: 0, p95ResponseTimeMs: 0, requestsPerSecond: 0, maxCPUPercent: nil,
            maxMemoryMB: nil, thresholdViolations: [], errors: [error], key: scenario.key, description: scenario.description,
            interrupted: Task.isCancelled, errorRatePercent: 0, loadModel: describe(scenario.loadModel(scale: options.scale)),
            dataset: scenario.dataset, thresholds: scenario.thresholds, violations: [], load: nil, resources: [], phases: [], analysis: nil, leak: nil)
    }

    /// A spike's phases, from the per-second windows that fall in each.
    private func phases(of scenario: Scenario, load: LoadResult) -> [PhaseResult] {
        scenario.phases(scale: options.scale).map { phase in
            let windows = load.seconds.filter { Double($0.second) >= phase.start.rounded(.down) && Double($0.second) < phase.end }
            var histogram = LatencyHistogram.latency(digits: .two)
            for window in windows { histogram.add(window.client.histogram) }
            let requests = windows.reduce(0) { $0 + $1.requests }
            let errors = windows.reduce(0) { $0 + $1.errors }
            return PhaseResult(
                name: phase.name, startSecond: phase.start, endSecond: phase.end, requests: requests,
                requestsPerSecond: Double(requests) / max(phase.end - phase.start, 1e-9), p95Ms: histogram.milliseconds(atPercentile: 95),
                errorRatePercent: requests == 0 ? 0 : Double(errors) * 100 / Double(requests))
        }
    }

    private func describe(_ model: LoadModel) -> String {
        switch model {
        case .closedRequests(let users, let total): return "closed: \(users) users, \(total) requests"
        case .closedDuration(let users, let duration, let think):
            return "closed: \(users) users for \(DurationText.format(duration))" + (think > .zero ? ", think time \(DurationText.format(think))" : "")
        case .rampingUsers(let ramp, _):
            return "ramping users: " + ([ramp.startUsers] + ramp.stages.map(\.target)).map(String.init).joined(separator: " → ")
                + " over \(DurationText.format(ramp.duration))"
        case .constantRate(let rate, let duration, let maxInFlight):
            return "open: \(rate) requests/s for \(DurationText.format(duration)), at most \(maxInFlight) in flight"
        case .rampingRate(let ramp, let maxInFlight):
            return "ramping rate over \(DurationText.format(ramp.duration)), at most \(maxInFlight) in flight"
        }
    }

    private func postgresVersion() async -> String? {
        guard let database = environment.database else { return nil }
        return try? await database.withConnection(logger: logger) { connection in
            try await connection.query("SHOW server_version", logger: logger).decode(String.self).first { _ in true }
        }
    }
}
