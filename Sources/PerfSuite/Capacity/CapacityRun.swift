import Foundation
import LoadEngine
import Logging
import Observability

/// How `archmesh capacity` searches.
public struct CapacityOptions: Sendable {
    public var objectives: [ServiceObjective]
    /// Each rate is held this long (and the answer twice).
    public var hold: Duration = .seconds(10)
    public var startRate = 10.0
    public var growth = 2.0
    public var resolution = 0.05
    /// No rate above this is tried.
    public var maxRate = 100_000.0
    /// Requests in flight at most (connections), at every rate.
    public var maxInFlight = 256
    /// The closed-model sweep's user counts (empty: no sweep) and how long each is held.
    public var sweepUsers: [Int] = [1, 2, 4, 8, 16, 32, 64]
    public var sweepHold: Duration = .seconds(5)

    public init(objectives: [ServiceObjective]) {
        self.objectives = objectives
    }
}

/// Runs the capacity search and the concurrency sweep against a target, hold by hold.
public enum CapacityRun {
    public enum Event: Sendable {
        /// A hold of the search begins: its number, its rate, and its model.
        case holdStarted(number: Int, phase: CapacitySearch.Phase, model: LoadModel)
        case step(CapacityStep)
        case sweepStarted
        /// A hold of the concurrency sweep begins.
        case sweepHoldStarted(users: Int, model: LoadModel)
        case sweep(SweepStep)
        /// The seconds that are over in the current hold.
        case progress(LiveProgress)
    }

    /// A scenario's endpoint mix against `environment`, its dataset made first; the note says what
    /// could not be made (no database to seed).
    public static func plan(
        for scenario: Scenario, in configuration: SuiteConfiguration, environment: any TargetEnvironment, logger: Logger
    ) async throws -> (plan: LoadPlan, note: String?) {
        let note = try await environment.prepare(scenario.dataset, logger: logger)
        var plan = configuration.loadPlan(for: scenario, target: environment.target)
        plan.tls = environment.tls
        plan.http2Streams = environment.http2Streams
        return (plan, note)
    }

    /// `plan` gives the target, the endpoints, TLS and timeouts; its model is replaced at every hold.
    public static func run(
        _ plan: LoadPlan, options: CapacityOptions, scenario: String? = nil, events: @escaping @Sendable (Event) -> Void = { _ in }
    ) async throws -> CapacityReport {
        let startedAt = Date()
        let searchStart = ContinuousClock.now
        var search = CapacitySearch(start: options.startRate, growth: options.growth, resolution: options.resolution, ceiling: options.maxRate)
        var steps: [CapacityStep] = []
        var stopped: String?
        while case .hold(let rate, let phase) = search.next {
            try Task.checkCancellation()
            var stepPlan = plan
            stepPlan.runTag = LoadPlan.makeRunTag()
            stepPlan.model = .constantRate(rate: rate, duration: options.hold, maxInFlight: options.maxInFlight)
            events(.holdStarted(number: steps.count + 1, phase: phase, model: stepPlan.model))
            let began = ContinuousClock.now
            let load: LoadResult
            do {
                load = try await LoadRun.run(stepPlan) { events(.progress($0)) }
            } catch LoadEngineError.unreachable(_, let reason) {
                // No connection at all: nothing below this rate can be measured either. The search
                // stops with what it has, and says why.
                stopped = "the target accepted no connection at \(rate == rate.rounded() ? String(Int(rate)) : format(rate)) requests/s (\(reason))"
                break
            }
            if load.interrupted { throw CancellationError() }
            let step = judge(load, number: steps.count + 1, phase: phase, rate: rate, objectives: options.objectives, seconds: (ContinuousClock.now - began).seconds)
            steps.append(step)
            events(.step(step))
            search.record(good: step.met)
        }
        let searchSeconds = (ContinuousClock.now - searchStart).seconds
        var report = CapacityReport(
            target: plan.target.description, scenario: scenario, endpoints: plan.endpoints.map(\.name), startedAt: startedAt,
            objectives: options.objectives, holdSeconds: options.hold.seconds, resolution: options.resolution, growth: options.growth,
            startRate: options.startRate, maxInFlight: options.maxInFlight, atCeiling: false, steps: steps, sweep: [], searchSeconds: searchSeconds,
            sweepSeconds: 0)
        if let stopped {
            report.stopped = stopped
            return report
        }
        conclude(&report, search: search)

        let sweepStart = ContinuousClock.now
        if !options.sweepUsers.isEmpty { events(.sweepStarted) }
        for users in options.sweepUsers where report.stopped == nil {
            try Task.checkCancellation()
            var sweepPlan = plan
            sweepPlan.runTag = LoadPlan.makeRunTag()
            sweepPlan.model = .closedDuration(users: users, duration: options.sweepHold, thinkTime: .zero)
            events(.sweepHoldStarted(users: users, model: sweepPlan.model))
            let load: LoadResult
            do {
                load = try await LoadRun.run(sweepPlan) { events(.progress($0)) }
            } catch LoadEngineError.unreachable(_, let reason) {
                report.stopped = "the target accepted no connection in the sweep at \(users) users (\(reason))"
                break
            }
            if load.interrupted { throw CancellationError() }
            let errors = ServiceObjective.errorPercent(in: load)
            let step = SweepStep(users: users, achievedRPS: load.requestsPerSecond, latencyMs: load.latency, errorPercent: errors, engineSaturated: load.engine?.saturated ?? false)
            report.sweep.append(step)
            events(.sweep(step))
        }
        report.sweepSeconds = (ContinuousClock.now - sweepStart).seconds
        report.usl = UniversalScalabilityFit.fit(report.sweep.filter { !$0.engineSaturated && $0.errorPercent < 50 }.map { ($0.users, $0.achievedRPS) })
        return report
    }

    /// One hold judged against the objectives.
    static func judge(_ load: LoadResult, number: Int, phase: CapacitySearch.Phase, rate: Double, objectives: [ServiceObjective], seconds: Double) -> CapacityStep {
        let outcomes = objectives.map { objective in
            let actual = objective.actual(in: load)
            return ObjectiveOutcome(objective: objective.description, actual: actual.isFinite ? actual : nil, met: objective.isMet(by: actual))
        }
        let errorPercent = ServiceObjective.errorPercent(in: load)
        var errors = load.errors.byName.filter { $0.value > 0 }
        if load.unsentRequests > 0 { errors["never_sent"] = load.unsentRequests }
        if load.cutOffAtEnd > 0 { errors["cut_off_at_end"] = load.cutOffAtEnd }
        return CapacityStep(
            number: number, phase: phase, rate: rate, achievedRPS: load.requestsPerSecond, latencyMs: load.latency, errorPercent: errorPercent,
            errors: errors, objectives: outcomes, met: outcomes.allSatisfy(\.met) && load.engine?.saturated != true,
            engineSaturated: load.engine?.saturated ?? false, engineWarnings: load.engine?.warnings ?? [], means: ComponentMeans(load), seconds: seconds)
    }

    /// The answer, or its refusal, and what gave first.
    static func conclude(_ report: inout CapacityReport, search: CapacitySearch) {
        guard case .done(let rate, let atCeiling) = search.next else { return }
        report.atCeiling = atCeiling
        report.sustainedRate = rate
        let good = rate.flatMap { rate in report.steps.last { $0.rate == rate && $0.met } }
        let firstBad = report.steps.filter { !$0.met && $0.rate > (rate ?? 0) }.min { $0.rate < $1.rate }
        report.firstBadRate = firstBad?.rate
        if let firstBad { report.limiting = limitingComponent(good: good, bad: firstBad) }
        if let saturated = ([good, firstBad].compactMap { $0 }).first(where: \.engineSaturated) {
            report.refused = "the load engine itself was the limit at \(format(saturated.rate)) requests/s ("
                + saturated.engineWarnings.joined(separator: "; ")
                + "): the target may take more than this machine can send; give the engine more threads (--threads), or a machine of its own"
            return
        }
        if let good {
            // What the server finished per second: never more than it can, even if the rate asked for
            // was a little above its capacity and a generous objective did not notice.
            report.maxSustainableRPS = min(good.rate, good.achievedRPS)
        }
    }

    /// What grew most from the last good hold to the first bad one.
    static func limitingComponent(good: CapacityStep?, bad: CapacityStep) -> LimitingComponent {
        let failed = bad.objectives.filter { !$0.met }.map(\.objective)
        var evidence = ["at \(format(bad.rate)) requests/s: " + (failed.isEmpty ? "every objective met" : "failed \(failed.joined(separator: ", "))")
            + ", \(format(bad.achievedRPS)) requests/s finished, p99 \(format(bad.latencyMs.p99)) ms, \(format(bad.errorPercent))% errors"]
        if !bad.errors.isEmpty {
            evidence.append("errors: " + bad.errors.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if bad.engineSaturated {
            return LimitingComponent(component: "load engine", reason: "the load engine could not send the rate on time", evidence: evidence + bad.engineWarnings)
        }
        let after = bad.means, before = good?.means
        guard after.timedShare > 0 else {
            evidence.append("mean latency \(format(before?.clientMs ?? 0)) -> \(format(after.clientMs)) ms")
            return LimitingComponent(
                component: "server", reason: "the responses carry no Server-Timing, so the server's parts cannot be told apart", evidence: evidence)
        }
        let parts: [(String, Double, Double)] = [
            ("pool", before?.poolMs ?? 0, after.poolMs), ("database", before?.databaseMs ?? 0, after.databaseMs),
            ("application", before?.handlerMs ?? 0, after.handlerMs), ("outside the handler", before?.outsideMs ?? 0, after.outsideMs),
            ("waiting for a connection", before?.waitingMs ?? 0, after.waitingMs),
        ]
        let leader = parts.max { ($0.2 - $0.1) < ($1.2 - $1.1) }!
        let baseline = good.map { "from \(format($0.rate)) to \(format(bad.rate)) requests/s" } ?? "at \(format(bad.rate)) requests/s"
        evidence.append("mean client latency \(format(before?.clientMs ?? 0)) -> \(format(after.clientMs)) ms " + baseline + "; of it:")
        for (name, from, to) in parts { evidence.append("  \(name) \(format(from)) -> \(format(to)) ms (\(to >= from ? "+" : "")\(format(to - from)))") }
        let reasons = [
            "pool": "requests waited for a database connection from the server's pool",
            "database": "the database's own time per request grew",
            "application": "the handler's own work (outside the database and the pool) grew",
            "outside the handler": "requests waited outside the handler once sent: in the server's accept and socket queues, or on the network",
            "waiting for a connection": "requests waited to be sent: every one of the engine's connections (--max-in-flight) was held by a request the target had not answered",
        ]
        return LimitingComponent(component: leader.0, reason: reasons[leader.0]!, evidence: evidence)
    }

    static func format(_ value: Double) -> String {
        abs(value) >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    }
}
