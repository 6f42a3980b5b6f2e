import LoadEngine
import PerfSuite

extension DashboardFeed {
    /// A feed for `archmesh capacity`: each hold of the search (and of the sweep) is planned as it
    /// is decided, watched as it runs and listed with its verdict when it ends.
    public convenience init(capacity target: String) {
        self.init(command: "archmesh capacity", target: target, planned: [])
    }

    /// The capacity search's events; `objectives` are what each hold is judged on.
    public func handle(_ event: CapacityRun.Event, objectives: [ServiceObjective]) {
        switch event {
        case .holdStarted(let number, let phase, let model):
            let key = Self.holdKey(number)
            plan(key)
            started(
                key: key, title: "Hold \(number) (\(phase.rawValue))", detail: model.description, model: model,
                objectives: objectives.map { ScenarioObjective(objective: $0) })
        case .step(let step):
            let notes = step.objectives.map { "\($0.objective): \($0.actual.map(ThresholdCheck.format) ?? "beyond every answer")\($0.met ? "" : " (broken)")" }
                + step.engineWarnings
            finished(
                key: Self.holdKey(step.number), title: "Hold \(step.number) (\(step.phase.rawValue))", passed: step.met,
                requests: Int(step.latencyMs.count), requestsPerSecond: step.achievedRPS, p95: step.latencyMs.p95,
                errorRatePercent: step.errorPercent, notes: notes)
        case .sweepStarted:
            break
        case .sweepHoldStarted(let users, let model):
            let key = Self.sweepKey(users)
            plan(key)
            started(key: key, title: "Sweep at \(users) users", detail: model.description, model: model)
        case .sweep(let step):
            finished(
                key: Self.sweepKey(step.users), title: "Sweep at \(step.users) users", passed: !step.engineSaturated,
                requests: Int(step.latencyMs.count), requestsPerSecond: step.achievedRPS, p95: step.latencyMs.p95,
                errorRatePercent: step.errorPercent, notes: step.engineSaturated ? ["the load engine was the limit"] : [])
        case .progress(let live):
            progress(live)
        }
    }

    private static func holdKey(_ number: Int) -> String { "hold \(number)" }
    private static func sweepKey(_ users: Int) -> String { "sweep \(users) users" }
}
