import Hummingbird
import Observability

/// Applies the injected faults to API requests (not to `/metrics`, `/openapi.json` or `/_faults`),
/// inside the timing middleware, so that `Server-Timing` shows what they cost.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let injector: FaultInjector
    let database: TimedDatabase

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/api/") || path.hasPrefix("/health/"), let plan = injector.plan(for: path) else {
            return try await next(request, context)
        }
        let start = MonotonicClock.nanoseconds()
        if plan.waitUntil > start {
            try await Task.sleep(for: .nanoseconds(Int64(plan.waitUntil - start)))
        }
        if plan.latencyMs > 0 {
            try await Task.sleep(for: .microseconds(Int64(plan.latencyMs * 1000)))
        }
        if plan.cpuMs > 0 { Self.burn(nanoseconds: UInt64(plan.cpuMs * 1_000_000)) }
        if plan.slowQueryMs > 0 {
            let seconds = plan.slowQueryMs / 1000
            try await database.withConnection(context.timings, logger: context.logger) { connection in
                _ = try await connection.query("SELECT pg_sleep(\(seconds))", name: "faults.slow_query")
            }
        }
        if plan.fail {
            throw APIError(.internalServerError, code: "injected_fault", message: "fault injected by the server's fault settings")
        }
        let handled = MonotonicClock.nanoseconds()
        let response = try await next(request, context)
        if plan.slowdownPercent > 0 {
            let extra = Double(MonotonicClock.nanoseconds() - handled) * plan.slowdownPercent / 100
            try await Task.sleep(for: .nanoseconds(Int64(extra)))
        }
        return response
    }

    /// Keeps this thread's core busy for `nanoseconds`: work, not a wait.
    static func burn(nanoseconds: UInt64) {
        let end = MonotonicClock.nanoseconds() &+ nanoseconds
        var spins: UInt64 = 0
        while MonotonicClock.nanoseconds() < end { spins &+= 1 }
        withExtendedLifetime(spins) {}
    }
}
