import ArchMeshDatabase
import Foundation
import LoadEngine
import Logging
import PostgresNIO
import TargetMonitoring

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
        /// Send a W3C `traceparent` with every request (`LoadPlan.traceContext`).
        public var traceContext = true
        /// Memory scenarios: load cycles for the leak check after the judged run (0: no check).
        public var leakCycles = 6
        /// Runs of every scenario, in rounds (all scenarios, then all again), with the server
        /// restarted between rounds when the harness owns it: what a comparison across runs needs.
        public var repetitions = 1
        /// Who runs each scenario's load (a memory scenario's leak check always runs here).
        public var executor: any LoadExecutor = LocalLoad()
        /// Record an on-CPU profile of the server for each scenario (`ServerProfiler`), when the
        /// harness started the server; `perf` is found on the PATH unless given.
        public var profile = false
        public var perf: String?
        /// pgbench, for database scenarios; found beside PostgreSQL's programs or on the PATH unless given.
        public var pgbench: String?

        public init() {}
    }

    /// What the runner tells its caller as it goes.
    public enum Event: Sendable {
        case preparing(Scenario)
        case started(Scenario)
        case progress(Scenario, LiveProgress)
        /// A database scenario's API part is over; its statements are being replayed against PostgreSQL.
        case replaying(Scenario)
        /// A reading of the server's or PostgreSQL's CPU and memory (`process`: "server", "postgres"), about four a second.
        case resources(Scenario, process: String, ResourceSample)
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
                target: environment.summary, configuration: configuration.source, configurationDigest: configuration.digest, scale: options.scale, postgresVersion: postgresVersion,
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
        if scenario.dataset != nil { events(.preparing(scenario)) }
        do {
            if let note = try await environment.prepare(scenario.dataset, logger: logger) { notes.append(note) }
        } catch {
            return result(for: scenario, load: nil, failure: "preparing the dataset failed: \(error)")
        }
        events(.started(scenario))
        var plan = configuration.loadPlan(for: scenario, target: environment.target, scale: options.scale)
        plan.exemplars = options.exemplars
        plan.traceContext = options.traceContext
        plan.tls = environment.tls
        plan.http2Streams = environment.http2Streams
        if scenario.journey != nil, plan.http2Streams != nil {
            // Journeys are written for HTTP/1.1 (plain or over TLS); the rest of the suite keeps HTTP/2.
            plan.http2Streams = nil
            notes.append("a journey runs over HTTP/1.1: journeys do not speak HTTP/2")
        }
        let objectives = scenario.objectives
        if objectives.contains(where: \.abortOnFail) {
            plan.abortCheck = { ObjectiveVerdicts.abortReason(objectives, seconds: $0) }
        }
        var profiler: ServerProfiler?
        if options.profile {
            if let pid = environment.serverPID {
                switch await ServerProfiler.start(pid: pid, directory: FileManager.default.temporaryDirectory, perf: options.perf) {
                case .success(let started): profiler = started
                case .failure(let reason): notes.append("profile not taken: \(reason)")
                }
            } else {
                notes.append("profile not taken: the server is not one this command started")
            }
        }
        let probe = await CorrelationProbe.start(environment: environment, logger: logger)
        let monitor = ResourceMonitor.start(environment.monitorSource) { events(.resources(scenario, process: $0, $1)) }
        let load: LoadResult
        do {
            load = try await options.executor.run(plan, scenario: scenario, scale: options.scale) { events(.progress(scenario, $0)) }
        } catch {
            _ = await monitor.stop()
            _ = await profiler?.finish()
            return result(for: scenario, load: nil, failure: "\(error)")
        }
        let resources = await monitor.stop()
        var profile: ServerProfile?
        if let profiler {
            switch await profiler.finish() {
            case .success(let taken): profile = taken
            case .failure(let reason): notes.append("profile not taken: \(reason)")
            }
        }
        let readings = await probe.finish(executions: scenario.type == .database, logger: logger)
        let analysis = ScenarioAnalysis(
            load: load, resources: resources, probe: readings, exemplarLog: probe.logLines(for: load.exemplars.map(\.requestID)), profile: profile)
        var comparison: DatabaseComparison?
        if scenario.type == .database, !load.interrupted, load.abortReason == nil, !Task.isCancelled {
            events(.replaying(scenario))
            comparison = await DatabaseReplay.compare(
                load: load, statements: readings.statements, executions: readings.executions, database: environment.database,
                users: scenario.fixedUsers ?? load.connections, poolSize: readings.server?.poolSize, expectation: scenario.database ?? DatabaseLoadExpectation(),
                pgbench: options.pgbench)
        }
        var result = result(for: scenario, load: load, resources: resources, notes: notes, database: comparison)
        result.analysis = analysis
        result.profile = profile
        if scenario.type == .memory, checkingLeaks, options.leakCycles > 0, !result.interrupted, result.aborted == nil {
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
            result.passed = false
        }
    }

    /// The one place a scenario's result is made: from its load (nil when it could not run, with
    /// `failure` saying why), judged against its thresholds.
    func result(
        for scenario: Scenario, load: LoadResult?, resources: [ResourceSeries] = [], notes: [String] = [], failure: String? = nil,
        database: DatabaseComparison? = nil
    ) -> ScenarioResult {
        let interrupted = (load?.interrupted ?? false) || Task.isCancelled
        var result = ScenarioResult(
            scenario: scenario, model: scenario.loadModel(scale: options.scale), passed: false, interrupted: interrupted, errors: notes,
            violations: [], load: load, resources: resources, phases: load.map { phases(of: scenario, load: $0) } ?? [])
        if let failure { result.errors.append(failure) }
        if let load {
            result.violations = scenario.thresholds.violations(of: result.judgedFigures)
            if load.totalRequests == 0 {
                result.violations.append(ThresholdViolation(metric: "total_requests", limit: 1, actual: 0, message: "No request finished"))
            }
            for kind in ErrorKind.allCases where load.errors[kind] > 0 { result.errors.append("\(load.errors[kind]) \(kind.rawValue) errors") }
            result.objectives = scenario.objectives.map { ObjectiveVerdicts.judge($0, load: load) }
            result.violations += zip(scenario.objectives, result.objectives).compactMap { objective, outcome in
                outcome.met ? nil : Self.violation(objective.objective, outcome, load: load)
            }
            if scenario.type == .rateLimit {
                let observation = RateLimitObservation(load: load, expectation: scenario.rateLimit ?? RateLimitExpectation())
                result.rateLimit = observation
                result.violations += observation.violations
            }
            if let database {
                result.database = database
                result.violations += database.violations
                if database.minRatio == nil { result.errors += database.problems.map(\.message) }
            }
            if let reason = load.abortReason {
                result.errors.append("aborted: \(reason)")
                result.violations.append(ThresholdViolation(metric: "aborted", limit: 0, actual: load.durationSeconds, message: "Aborted after \(Int(load.durationSeconds)) s: \(reason)"))
            }
        }
        if interrupted { result.errors.append("interrupted before the scenario's end") }
        result.passed = load != nil && failure == nil && result.violations.isEmpty && !interrupted
        return result
    }

    /// A broken objective as a violation: the whole run's figure, or the windows that broke it.
    private static func violation(_ objective: ServiceObjective, _ outcome: ObjectiveResult, load: LoadResult) -> ThresholdViolation {
        let metric = "objective \(objective.description)" + (outcome.windowSeconds.map { " per \($0)s" } ?? "")
        func figure(_ value: Double) -> String { String(format: "%.2f", value) + objective.unit }
        guard let width = outcome.windowSeconds else {
            guard let actual = outcome.actual else {
                return ThresholdViolation(
                    metric: metric, limit: objective.limit, actual: load.latency.max,
                    message: "\(objective.description) broken: more requests went unanswered than \(objective.metricName) allows (above every answer, the slowest \(figure(load.latency.max)))")
            }
            return ThresholdViolation(metric: metric, limit: objective.limit, actual: actual, message: "\(objective.description) broken: \(objective.metricName) \(figure(actual))")
        }
        let spans = outcome.brokenWindows.prefix(5).map { "seconds \($0.startSecond)–\($0.endSecond) (worst \($0.worst.map(figure) ?? "beyond every answer"))" }
        return ThresholdViolation(
            metric: metric, limit: objective.limit, actual: outcome.actual ?? load.latency.max,
            message: "\(objective.description) broken in \(outcome.windowsBroken) of \(outcome.windowsJudged) windows of \(width)s: " + spans.joined(separator: ", ")
                + (outcome.brokenWindows.count > 5 ? ", ..." : ""))
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

    private func postgresVersion() async -> String? {
        guard let database = environment.database else { return nil }
        return try? await database.withConnection(logger: logger) { connection in
            try await connection.query("SHOW server_version", logger: logger).decode(String.self).first { _ in true }
        }
    }
}
