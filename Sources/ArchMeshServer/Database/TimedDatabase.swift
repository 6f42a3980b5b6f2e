import Logging
import Observability
import PostgresNIO

/// The server's only way to the database: it leases connections from the pool, and times the
/// wait for one and every query, into the request's `RequestTimings` (for `Server-Timing`) and the
/// Prometheus metrics. Faster must not mean less honest: `pool` is the measured wait, `db` the
/// measured time of the queries.
public struct TimedDatabase: Sendable {
    let pool: ConnectionPool
    let metrics: ServerMetrics

    /// Runs `body` with a leased connection. Throws `DatabaseUnavailable` at once while the
    /// database is down, or after the acquire timeout when every connection stayed busy.
    func withConnection<Result: Sendable>(
        _ timings: RequestTimings, logger: Logger, _ body: (TimedConnection) async throws -> Result
    ) async throws -> Result {
        let requested = MonotonicClock.nanoseconds()
        let lease = try await pool.lease()
        let wait = MonotonicClock.nanoseconds() &- requested
        timings.recordPoolWait(nanoseconds: wait)
        metrics.recordPoolWait(nanoseconds: wait)
        do {
            let result = try await body(TimedConnection(connection: lease.connection, timings: timings, metrics: metrics, logger: logger))
            pool.release(lease, broken: false)
            return result
        } catch {
            pool.release(lease, broken: (error as? PSQLError).map(APIError.isConnectivity) ?? false)
            throw error
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
        defer { record(name, since: start) }
        return try await connection.query(query, logger: logger).collect()
    }

    /// Runs a prepared statement (parsed once per connection) and collects its rows.
    func execute<Query: PreparedQuery>(_ query: Query) async throws -> [PostgresRow] {
        let start = MonotonicClock.nanoseconds()
        defer { record(Query.label, since: start) }
        var rows: [PostgresRow] = []
        for try await row in try await connection.execute(query, logger: logger) { rows.append(row) }
        return rows
    }

    private func record(_ name: StaticString, since start: UInt64) {
        let elapsed = MonotonicClock.nanoseconds() &- start
        timings.recordQuery(nanoseconds: elapsed)
        metrics.recordQuery(name: name, nanoseconds: elapsed)
    }
}
