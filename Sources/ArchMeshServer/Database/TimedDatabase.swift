import Foundation
import Logging
import _ConnectionPoolModule
import PostgresNIO
import Observability
import Synchronization

/// The server's only way to the database: it times the wait for a pooled connection and every
/// query, into the request's `RequestTimings` (for `Server-Timing`) and the Prometheus metrics,
/// and asks the `DatabaseGate` how patient to be.
public struct TimedDatabase: Sendable {
    let client: PostgresClient
    let metrics: ServerMetrics
    /// How long a request on the guarded path waits for a pooled connection before a 503.
    let acquireTimeout: Duration
    let gate: DatabaseGate

    /// Every wait for a connection is bounded by the acquire timeout: an unbounded wait left a request
    /// queued in PostgresNIO 1.33's pool after a PostgreSQL restart, unanswered until the client gave
    /// up (FaultSurvivalTests); a bounded wait answers it 503 instead.
    init(client: PostgresClient, metrics: ServerMetrics, acquireTimeout: Duration, gate: DatabaseGate = DatabaseGate()) {
        self.client = client
        self.metrics = metrics
        self.acquireTimeout = acquireTimeout
        self.gate = gate
    }

    /// Runs `body` with a pooled connection. Throws `DatabaseUnavailable` at once while the
    /// database is known to be down, or after the acquire timeout on the guarded path.
    func withConnection<Result: Sendable>(
        _ timings: RequestTimings, logger: Logger, _ body: @Sendable @escaping (TimedConnection) async throws -> Result
    ) async throws -> Result {
        let requested = MonotonicClock.nanoseconds()
        do {
            switch gate.decide(now: requested) {
            case .wait:
                return try await withAcquireTimeout(requested: requested, timings: timings, logger: logger, body)
            case .refuse:
                metrics.recordDatabaseRefusal()
                let since = Double(requested &- (gate.downSinceNanoseconds ?? requested)) / 1e9
                throw DatabaseUnavailable(reason: "unreachable for \(String(format: "%.1f", since)) s; retrying")
            }
        } catch let error as PSQLError where APIError.isConnectivity(error) {
            gate.failed(now: MonotonicClock.nanoseconds())
            throw error
        } catch let error as ConnectionPoolError {
            gate.failed(now: MonotonicClock.nanoseconds())
            throw error
        }
    }

    private func use<Result>(
        _ connection: PostgresConnection, requested: UInt64, timings: RequestTimings, logger: Logger,
        _ body: (TimedConnection) async throws -> Result
    ) async throws -> Result {
        let now = MonotonicClock.nanoseconds()
        gate.succeeded(now: now)
        let wait = now &- requested
        timings.recordPoolWait(nanoseconds: wait)
        metrics.recordPoolWait(nanoseconds: wait)
        gate.leaseStarted()
        defer { gate.leaseEnded() }
        return try await body(TimedConnection(connection: connection, timings: timings, metrics: metrics, logger: logger))
    }

    /// The lease races a timer; losing the race is a 503, and marks the database down only when no
    /// connection was in use (a full pool is busy, not down).
    private func withAcquireTimeout<Result: Sendable>(
        requested: UInt64, timings: RequestTimings, logger: Logger, _ body: @Sendable @escaping (TimedConnection) async throws -> Result
    ) async throws -> Result {
        let race = AcquireRace(gate: gate, now: requested)
        defer { race.abandon() }
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    // A connection that arrives after the timeout answered is handed back unused:
                    // the request already got its 503, so its work must not happen.
                    guard race.acquire() else { throw DatabaseUnavailable(reason: "no database connection within \(acquireTimeout)") }
                    return try await use(connection, requested: requested, timings: timings, logger: logger, body)
                }
            }
            group.addTask {
                try? await Task.sleep(for: acquireTimeout)
                if race.timeOut() {
                    metrics.recordPoolTimeout()
                    gate.timedOut(now: MonotonicClock.nanoseconds())
                    throw DatabaseUnavailable(reason: "no database connection within \(acquireTimeout): every connection is busy or the database is not answering")
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

/// Who won a guarded request's race: the pool handing over a connection, the acquire timeout, or
/// neither (the lease failed). Exactly one outcome settles it, and settling ends the request's wait
/// in the gate's count, so the count is decremented exactly once whichever way the wait ends.
private final class AcquireRace: Sendable {
    private static let waiting: UInt8 = 0, acquired: UInt8 = 1, timedOut: UInt8 = 2, abandoned: UInt8 = 3
    private let state = Atomic<UInt8>(AcquireRace.waiting)
    private let gate: DatabaseGate

    init(gate: DatabaseGate, now: UInt64) {
        self.gate = gate
        gate.waitStarted(now: now)
    }

    /// The connection arrived: true when it is still wanted.
    func acquire() -> Bool { settle(Self.acquired) }

    /// The timeout fired (or its task was cancelled after the connection won): true when it decides.
    func timeOut() -> Bool { settle(Self.timedOut) }

    /// The wait ended some other way (the lease failed); a no-op once settled.
    func abandon() { _ = settle(Self.abandoned) }

    private func settle(_ outcome: UInt8) -> Bool {
        let won = state.compareExchange(expected: Self.waiting, desired: outcome, ordering: .acquiringAndReleasing).exchanged
        if won { gate.waitEnded() }
        return won
    }
}
