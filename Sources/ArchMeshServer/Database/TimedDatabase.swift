import Logging
import PostgresNIO
import Observability
import Synchronization

/// The server's only way to the database: it times the wait for a pooled connection and every
/// query, into the request's `RequestTimings` (for `Server-Timing`) and the Prometheus metrics.
public struct TimedDatabase: Sendable {
    let client: PostgresClient
    let metrics: ServerMetrics
    /// How long a request waits for a pooled connection before it is answered 503.
    let acquireTimeout: Duration

    /// Runs `body` with a pooled connection; throws `DatabaseUnavailable` when none is free within
    /// the acquire timeout, so that a stopped database gives fast 503s rather than hung requests.
    func withConnection<Result: Sendable>(
        _ timings: RequestTimings, logger: Logger, _ body: @Sendable @escaping (TimedConnection) async throws -> Result
    ) async throws -> Result {
        let requested = MonotonicClock.nanoseconds()
        let acquired = AcquiredFlag()
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    acquired.value.store(true, ordering: .releasing)
                    let wait = MonotonicClock.nanoseconds() &- requested
                    timings.recordPoolWait(nanoseconds: wait)
                    metrics.recordPoolWait(nanoseconds: wait)
                    return try await body(TimedConnection(connection: connection, timings: timings, metrics: metrics, logger: logger))
                }
            }
            group.addTask {
                try? await Task.sleep(for: acquireTimeout)
                if !acquired.value.load(ordering: .acquiring) && !Task.isCancelled {
                    metrics.recordPoolTimeout()
                    throw DatabaseUnavailable(reason: "no database connection within \(acquireTimeout)")
                }
                return nil
            }
            // The first to finish decides: the query's result, or the timeout.
            while let next = try await group.next() {
                if let result = next {
                    group.cancelAll()
                    return result
                }
            }
            throw DatabaseUnavailable(reason: "the query did not finish")
        }
    }
}

/// A leased connection whose queries are timed.
struct TimedConnection: Sendable {
    let connection: PostgresConnection
    let timings: RequestTimings
    let metrics: ServerMetrics
    let logger: Logger

    /// Runs `query` and collects its rows; `name` labels the query in the metrics.
    func query(_ query: PostgresQuery, name: StaticString) async throws -> [PostgresRow] {
        let start = MonotonicClock.nanoseconds()
        do {
            let rows = try await connection.query(query, logger: logger).collect()
            record(name, since: start)
            return rows
        } catch {
            record(name, since: start)
            throw error
        }
    }

    private func record(_ name: StaticString, since start: UInt64) {
        let elapsed = MonotonicClock.nanoseconds() &- start
        timings.recordQuery(nanoseconds: elapsed)
        metrics.recordQuery(name: name, nanoseconds: elapsed)
    }
}

/// Set once the pool hands over a connection, so that the timeout task knows to stand down.
private final class AcquiredFlag: Sendable {
    let value = Atomic<Bool>(false)
}
