import LoadEngine

extension DashboardFeed {
    /// A feed for `archmesh load`: one load, `request` against its target.
    public convenience init(load request: String, model: LoadModel) {
        self.init(command: "archmesh load", target: request, planned: ["load"])
        started(key: "load", title: request, detail: model.description, model: model)
    }

    /// The load is over: its row.
    public func finished(_ result: LoadResult, request: String) {
        var notes = result.abortReason.map { ["stopped: \($0)"] } ?? []
        for kind in ErrorKind.allCases where result.errors[kind] > 0 { notes.append("\(result.errors[kind]) \(kind.rawValue) errors") }
        finished(
            key: "load", title: request, passed: result.failedRequests == 0 && !result.interrupted, requests: result.totalRequests,
            requestsPerSecond: result.requestsPerSecond, p95: result.latency.p95,
            errorRatePercent: result.totalRequests == 0 ? 0 : Double(result.failedRequests) * 100 / Double(result.totalRequests), notes: notes)
    }
}
