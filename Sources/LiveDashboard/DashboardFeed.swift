import Foundation
import LoadEngine
import Observability
import PerfSuite
import Synchronization
import TargetMonitoring

/// The live state of a command as it runs, fed by its events (from any thread) and read by the
/// dashboard's server as JSON. It keeps only what the page shows: the current scenario's seconds
/// and readings (the last `keptSeconds`), its tally, and one row per finished scenario.
public final class DashboardFeed: Sendable {
    /// Per-second points and resource readings kept for the current scenario's charts.
    static let keptSeconds = 600

    private struct Current {
        var unit: DashboardState.Unit
        var model: LoadModel?
        var thresholds: Thresholds
        var objectives: [ScenarioObjective]
        var tally = LiveTally()
        var serverMaxCPU: Double?
        var serverMaxMemory: Double?
    }

    private struct Shared {
        var state: DashboardState
        var current: Current?
        var reportHTML: String?
    }

    private let shared: Mutex<Shared>
    private let clock = ContinuousClock()
    private let began: ContinuousClock.Instant

    /// `planned`: the keys of what the command will run, in order.
    public init(command: String, target: String, planned: [String]) {
        began = clock.now
        shared = Mutex(Shared(state: DashboardState(
            command: command, target: target, status: .running, sequence: 0, startedAt: Date(), elapsedSeconds: 0, planned: planned,
            current: nil, finished: [], reportReady: false)))
    }

    /// More to run than was planned at the start (a capacity search decides its holds as it goes).
    public func plan(_ key: String) {
        change { if !$0.state.planned.contains(key) { $0.state.planned.append(key) } }
    }

    /// A scenario's dataset is being made.
    public func preparing(key: String, title: String, detail: String) {
        change { shared in
            shared.current = Current(
                unit: Self.unit(key: key, title: title, detail: detail, phase: "preparing", model: nil), model: nil, thresholds: Thresholds(), objectives: [])
        }
    }

    /// A scenario's load begins: `model` gives its planned end; thresholds and objectives are judged
    /// on the figures so far as it goes.
    public func started(
        key: String, title: String, detail: String, model: LoadModel, thresholds: Thresholds = Thresholds(), objectives: [ScenarioObjective] = []
    ) {
        change { shared in
            shared.current = Current(
                unit: Self.unit(key: key, title: title, detail: detail, phase: "running", model: model), model: model, thresholds: thresholds,
                objectives: objectives)
            shared.current!.unit.checks = Self.checks(of: shared.current!)
        }
    }

    /// The current scenario has moved on to another part (its load is over).
    public func phase(_ name: String) {
        change { shared in shared.current?.unit.phase = name }
    }

    /// The seconds that are over, from the engine's watch.
    public func progress(_ live: LiveProgress) {
        change { shared in
            guard var current = shared.current else { return }
            current.tally.add(live.seconds)
            current.unit.elapsedSeconds = live.elapsedSeconds
            current.unit.requests = current.tally.requests
            current.unit.failures = current.tally.failures
            current.unit.latency = .init(
                p50: current.tally.latency(atPercentile: 50), p95: current.tally.latency(atPercentile: 95),
                p99: current.tally.latency(atPercentile: 99))
            current.unit.seconds += live.seconds.map(Self.point)
            if current.unit.seconds.count > Self.keptSeconds { current.unit.seconds.removeFirst(current.unit.seconds.count - Self.keptSeconds) }
            if let planned = current.unit.plannedSeconds, planned > 0 {
                current.unit.progressPercent = min(100, live.elapsedSeconds / planned * 100)
            } else if let planned = current.unit.plannedRequests, planned > 0 {
                current.unit.progressPercent = min(100, Double(live.finishedRequests) / Double(planned) * 100)
            }
            current.unit.checks = Self.checks(of: current)
            shared.current = current
        }
    }

    /// A reading of the server's or PostgreSQL's CPU and memory.
    public func resource(_ process: String, _ sample: ResourceSample) {
        change { shared in
            guard var current = shared.current else { return }
            let reading = [sample.second, sample.cpuPercentOfMachine, sample.memoryMB].map { $0.isFinite ? $0 : 0 }
            if let index = current.unit.resources.firstIndex(where: { $0.process == process }) {
                current.unit.resources[index].readings.append(reading)
                current.unit.resources[index].cpuPercent = reading[1]
                current.unit.resources[index].memoryMB = reading[2]
                let kept = current.unit.resources[index].readings.count
                if kept > Self.keptSeconds * 4 { current.unit.resources[index].readings.removeFirst(kept - Self.keptSeconds * 4) }
            } else {
                current.unit.resources.append(.init(process: process, readings: [reading], cpuPercent: reading[1], memoryMB: reading[2]))
            }
            if process == "server" {
                current.serverMaxCPU = max(current.serverMaxCPU ?? 0, reading[1])
                current.serverMaxMemory = max(current.serverMaxMemory ?? 0, reading[2])
            }
            shared.current = current
        }
    }

    /// A scenario is over: its row, and the current one cleared.
    public func finished(
        key: String, title: String, passed: Bool, requests: Int, requestsPerSecond: Double, p95: Double, errorRatePercent: Double, notes: [String]
    ) {
        change { shared in
            shared.state.finished.append(.init(
                key: key, title: title, passed: passed, requests: requests, requestsPerSecond: Self.finite(requestsPerSecond), p95: Self.finite(p95),
                errorRatePercent: Self.finite(errorRatePercent), notes: notes))
            if shared.current?.unit.key == key { shared.current = nil }
        }
    }

    /// The command is over; `reportHTML` is what `/report` serves from now on.
    public func ended(interrupted: Bool, reportHTML: String?) {
        change { shared in
            shared.state.status = interrupted ? .interrupted : .finished
            shared.current = nil
            shared.reportHTML = reportHTML
            shared.state.reportReady = reportHTML != nil
        }
    }

    /// The state as the page reads it.
    var state: DashboardState {
        shared.withLock { shared in
            var state = shared.state
            state.current = shared.current?.unit
            state.elapsedSeconds = (clock.now - began).seconds
            return state
        }
    }

    /// The final report, once the command is over.
    var reportHTML: String? { shared.withLock { $0.reportHTML } }

    var json: Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return (try? encoder.encode(state)) ?? Data("{}".utf8)
    }

    private func change(_ body: (inout Shared) -> Void) {
        shared.withLock { shared in
            body(&shared)
            shared.state.sequence += 1
        }
    }

    private static func unit(key: String, title: String, detail: String, phase: String, model: LoadModel?) -> DashboardState.Unit {
        var plannedRequests: Int?
        if case .closedRequests(_, let total) = model { plannedRequests = total }
        return DashboardState.Unit(
            key: key, title: title, detail: detail, phase: phase, elapsedSeconds: 0, plannedSeconds: model?.plannedDuration?.seconds,
            plannedRequests: plannedRequests, progressPercent: model == nil ? nil : 0, requests: 0, failures: 0,
            latency: .init(p50: 0, p95: 0, p99: 0), seconds: [], resources: [], checks: [])
    }

    private static func point(_ window: SecondWindow) -> DashboardState.SecondPoint {
        let client = window.client.histogram
        let answered = client.totalCount > 0
        let timed = window.timedResponses > 0
        return DashboardState.SecondPoint(
            second: window.second, requests: window.requests, failures: window.failures,
            p50: answered ? client.milliseconds(atPercentile: 50) : nil, p95: answered ? client.milliseconds(atPercentile: 95) : nil,
            p99: answered ? client.milliseconds(atPercentile: 99) : nil, app: timed ? window.app.histogram.meanMilliseconds : nil,
            db: timed ? finite(window.databaseMillisecondsSum / Double(window.timedResponses)) : nil,
            pool: timed ? finite(window.poolMillisecondsSum / Double(window.timedResponses)) : nil)
    }

    /// Every threshold and objective on the figures so far; "pending" until a request has finished
    /// (and, for a windowed objective, until its first window is whole).
    private static func checks(of current: Current) -> [DashboardState.Check] {
        let tally = current.tally
        // Throughput over the seconds the tally holds, not the second still running.
        let figures = tally.figures(
            elapsedSeconds: Double((tally.seconds.last?.second ?? -1) + 1), maxCPUPercent: current.serverMaxCPU, maxMemoryMB: current.serverMaxMemory)
        var checks = current.thresholds.checks(of: figures).map { check in
            let pending = tally.requests == 0 || check.held == nil
            return DashboardState.Check(
                name: check.label, limit: "\(check.isCeiling ? "≤" : "≥") \(ThresholdCheck.format(check.limit))\(check.unit)",
                actual: pending ? nil : check.actual.map { "\(ThresholdCheck.format($0))\(check.unit)" },
                state: pending ? "pending" : (check.held == true ? "held" : "broken"))
        }
        for objective in current.objectives {
            let name = objective.objective.description + (objective.windowSeconds.map { " (every \($0) s window)" } ?? "")
            guard let latest = ObjectiveVerdicts.latest(objective, seconds: tally.seconds) else {
                checks.append(.init(name: name, limit: objective.objective.description, actual: nil, state: "pending"))
                continue
            }
            let unit = objective.objective.unit
            checks.append(.init(
                name: name, limit: objective.objective.description,
                actual: latest.figure.isFinite ? "\(ThresholdCheck.format(latest.figure))\(unit == "%" ? "%" : " \(unit)")" : "beyond every answer",
                state: objective.objective.isMet(by: latest.figure) ? "held" : "broken"))
        }
        return checks
    }

    private static func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }
}
