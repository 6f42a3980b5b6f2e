import PerfSuite

extension DashboardFeed {
    /// A feed for `archmesh run`: the selected scenarios, in order.
    public convenience init(suite scenarios: [Scenario], target: String) {
        self.init(command: "archmesh run", target: target, planned: scenarios.map(\.key))
    }

    /// The suite runner's events, as they come.
    public func handle(_ event: SuiteRunner.Event, scale: Double) {
        switch event {
        case .preparing(let scenario):
            preparing(key: scenario.key, title: scenario.name, detail: "seeding its dataset")
        case .started(let scenario):
            let model = scenario.loadModel(scale: scale)
            started(
                key: scenario.key, title: scenario.name, detail: "\(scenario.type.rawValue) · \(model.description)", model: model,
                thresholds: scenario.thresholds, objectives: scenario.objectives)
        case .progress(_, let live):
            progress(live)
        case .replaying:
            phase("replaying its statements against PostgreSQL")
        case .resources(_, let process, let sample):
            resource(process, sample)
        case .finished(let result):
            var notes = result.violations.map(\.message) + result.errors
            if let aborted = result.aborted { notes.insert("stopped: \(aborted)", at: 0) }
            if result.interrupted { notes.insert("interrupted", at: 0) }
            finished(
                key: result.key, title: result.name, passed: result.passed, requests: result.totalRequests,
                requestsPerSecond: result.requestsPerSecond, p95: result.p95ResponseTimeMs, errorRatePercent: result.errorRatePercent, notes: notes)
        }
    }
}
