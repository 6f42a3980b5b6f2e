import ArchMeshDatabase
import Logging
import NIOCore
import Observability
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The I/O around `PoolState`: it opens `PostgresConnection`s, parks waiting requests as
/// continuations, and times them out from one sweeper (no timer or task per request). A lease of
/// an idle connection is one uncontended lock.
final class ConnectionPool: Service, Sendable {
    /// A leased connection; give it back with `release`.
    struct Lease: Sendable {
        let id: PoolState.ConnectionID
        let connection: PostgresConnection
    }

    private struct Shared {
        var state: PoolState
        var open: [PoolState.ConnectionID: PostgresConnection] = [:]
        var continuations: [PoolState.WaiterID: CheckedContinuation<Lease, any Error>] = [:]
        var nextID = 0
        var closed = false
    }

    private let shared: Mutex<Shared>
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let metrics: ServerMetrics
    let acquireTimeout: Duration

    init(database: DatabaseURL, maximumConnections: Int, acquireTimeout: Duration, metrics: ServerMetrics, logger: Logger) throws {
        var configuration = try database.connectionConfiguration()
        // Prepared statements (`PreparedQuery`) are planned for each execution's values, as
        // unnamed statements are: a generic plan could not use the index a filter's value calls for.
        configuration.options.additionalStartupParameters.append(("plan_cache_mode", "force_custom_plan"))
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.acquireTimeout = acquireTimeout
        shared = Mutex(Shared(state: PoolState(.init(maximumConnections: maximumConnections, acquireTimeout: acquireTimeout.nanoseconds))))
        metrics.recordPoolSize(maximumConnections)
    }

    /// A connection: at once when one is idle, else after a wait of at most the acquire timeout.
    /// Throws `DatabaseUnavailable` when the database is down or every connection stayed busy.
    func lease() async throws -> Lease {
        let now = MonotonicClock.nanoseconds()
        while let idle = shared.withLock({ shared in shared.state.leaseIdle().map { Lease(id: $0, connection: shared.open[$0]!) } }) {
            guard idle.connection.isClosed else { return idle }
            release(idle, broken: true)  // closed while idle (PostgreSQL restarted): try the next one
        }
        return try await withCheckedThrowingContinuation { continuation in
            let (decision, waiter) = shared.withLock { shared -> (PoolState.LeaseDecision, PoolState.WaiterID) in
                shared.nextID += 1
                let waiter = shared.nextID
                let decision = shared.state.lease(waiter, now: now)
                switch decision {
                case .use(let id): continuation.resume(returning: Lease(id: id, connection: shared.open[id]!))
                case .wait: shared.continuations[waiter] = continuation
                case .refuse: break
                }
                return (decision, waiter)
            }
            switch decision {
            case .use: break
            case .wait(let connect): if connect { self.connect(for: waiter) }
            case .refuse:
                metrics.recordDatabaseRefusal()
                continuation.resume(throwing: DatabaseUnavailable(reason: "the database is not answering; retrying"))
            }
        }
    }

    /// Gives a connection back; `broken` when it failed or closed and must not be used again.
    func release(_ lease: Lease, broken: Bool) {
        let broken = broken || lease.connection.isClosed
        let (handoff, resume) = shared.withLock { shared -> (PoolState.Handoff, CheckedContinuation<Lease, any Error>?) in
            if broken { shared.open[lease.id] = nil }
            let handoff = shared.state.release(lease.id, broken: broken, now: MonotonicClock.nanoseconds())
            if case .give(_, let waiter) = handoff { return (handoff, shared.continuations.removeValue(forKey: waiter)) }
            return (handoff, nil)
        }
        if broken { Task { try? await lease.connection.close() } }
        perform(handoff, resuming: resume, with: broken ? nil : lease)
    }

    private func perform(_ handoff: PoolState.Handoff, resuming continuation: CheckedContinuation<Lease, any Error>?, with lease: Lease?) {
        switch handoff {
        case .give: if let continuation, let lease { continuation.resume(returning: lease) }
        case .connect: connect(for: nil)
        case .keep, .nothing: break
        }
    }

    /// Opens a connection for the pool; it goes to the request waiting longest, or stays idle.
    private func connect(for waiter: PoolState.WaiterID?) {
        let id = shared.withLock { shared -> Int in
            shared.nextID += 1
            return shared.nextID
        }
        let configuration = self.configuration, logger = self.logger
        Task {
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
                let (handoff, continuation, closed) = shared.withLock { shared -> (PoolState.Handoff, CheckedContinuation<Lease, any Error>?, Bool) in
                    guard !shared.closed else { return (.nothing, nil, true) }
                    shared.open[id] = connection
                    let handoff = shared.state.connected(id, now: MonotonicClock.nanoseconds())
                    if case .give(_, let waiter) = handoff { return (handoff, shared.continuations.removeValue(forKey: waiter), false) }
                    return (handoff, nil, false)
                }
                if closed { try? await connection.close(); return }
                perform(handoff, resuming: continuation, with: Lease(id: id, connection: connection))
            } catch {
                let failed = shared.withLock { shared in
                    shared.state.connectFailed(now: MonotonicClock.nanoseconds()).compactMap { shared.continuations.removeValue(forKey: $0) }
                }
                logger.warning("cannot connect to PostgreSQL", metadata: ["error": "\(String(reflecting: error))"])
                let reason = "cannot connect: \(APIError.connectionFailureReason(error))"
                for continuation in failed { continuation.resume(throwing: DatabaseUnavailable(reason: reason)) }
            }
        }
    }

    /// Opens every connection, then answers requests that waited past the acquire timeout, every
    /// 10 ms, until shutdown; then closes every connection.
    func run() async throws {
        for _ in 0..<shared.withLock({ $0.state.fill() }) { connect(for: nil) }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(10))
            let (expired, leased, connecting) = shared.withLock { shared in
                (shared.state.expire(now: MonotonicClock.nanoseconds()).compactMap { shared.continuations.removeValue(forKey: $0) },
                 shared.state.leased, shared.state.connecting)
            }
            guard !expired.isEmpty else { continue }
            let reason = "no database connection within \(acquireTimeout): \(leased) in use, \(connecting) being opened"
            for continuation in expired {
                metrics.recordPoolTimeout()
                continuation.resume(throwing: DatabaseUnavailable(reason: reason))
            }
        }
        let (connections, waiting) = shared.withLock { shared in
            shared.closed = true
            defer { shared.open.removeAll(); shared.continuations.removeAll() }
            return (Array(shared.open.values), Array(shared.continuations.values))
        }
        for continuation in waiting { continuation.resume(throwing: DatabaseUnavailable(reason: "the server is shutting down")) }
        for connection in connections { try? await connection.close() }
    }
}
