import LoadEngine

/// Who runs a scenario's load: this process (`LocalLoad`), or worker processes that a coordinator
/// spreads it over and whose recordings it merges (`Distribution.Coordinator`).
public protocol LoadExecutor: Sendable {
    /// Runs `plan`, made from `scenario` at `scale`, and returns its one result.
    func run(_ plan: LoadPlan, scenario: Scenario, scale: Double, progress: @escaping @Sendable (LiveProgress) -> Void) async throws -> LoadResult
}

/// The load run here, by this process's engine.
public struct LocalLoad: LoadExecutor {
    public init() {}

    public func run(_ plan: LoadPlan, scenario: Scenario, scale: Double, progress: @escaping @Sendable (LiveProgress) -> Void) async throws -> LoadResult {
        try await LoadRun.run(plan, progress: progress)
    }
}
