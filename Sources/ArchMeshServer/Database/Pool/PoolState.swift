import NIOCore

/// The server's PostgreSQL connections as a pure state machine (the way PostgresNIO's own pool is
/// written): leases, the requests waiting with their deadlines, connects, and what an outage is.
/// `ConnectionPool` does the I/O its answers ask for; tests drive it with plain numbers for times.
///
/// - The pool opens every connection when it starts (`fill`), so that no request pays for a connect
///   (on a loaded machine a connect can take longer than the acquire timeout). Connections stay
///   open until they break: no idle timers.
/// - A lease takes the connection released last (warm caches), or waits, opening a connection when
///   the pool is below its maximum.
/// - A wait ends with a connection, or with a timeout at its deadline: a full pool is busy, not down.
/// - A connect that fails means the database is down: every waiting request is answered at once,
///   and new leases are refused, except one probe per `probeInterval`, whose connect reopens it.
struct PoolState {
    typealias ConnectionID = Int
    typealias WaiterID = Int

    struct Configuration: Equatable {
        var maximumConnections: Int
        /// Nanoseconds a lease may wait.
        var acquireTimeout: UInt64
        /// Nanoseconds between probes while the database is down.
        var probeInterval: UInt64 = 250_000_000
    }

    enum LeaseDecision: Equatable {
        case use(ConnectionID)
        /// Wait for a connection; `connect` when the caller should open one for it.
        case wait(connect: Bool)
        /// The database is down: answer at once.
        case refuse
    }

    /// What to do with a connection that came back or came up.
    enum Handoff: Equatable {
        /// Give it to this waiting request.
        case give(ConnectionID, to: WaiterID)
        /// Keep it for the next lease.
        case keep
        /// Open another connection (a broken one left a request waiting).
        case connect
        case nothing
    }

    let configuration: Configuration
    private(set) var idle: [ConnectionID] = []
    private(set) var leased = 0
    private(set) var connecting = 0
    private var waiters = CircularBuffer<(id: WaiterID, deadline: UInt64)>()
    /// When the database was seen down, while it is.
    private(set) var downSince: UInt64?
    private var nextProbe: UInt64 = 0

    init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// The fast path: an idle connection, taken, when there is one and the database is up.
    mutating func leaseIdle() -> ConnectionID? {
        guard downSince == nil, let connection = idle.popLast() else { return nil }
        leased += 1
        return connection
    }

    /// Connections to open now so that the pool is full: the caller opens that many.
    mutating func fill() -> Int {
        guard downSince == nil else { return 0 }
        let missing = max(0, configuration.maximumConnections - connections)
        connecting += missing
        return missing
    }

    /// Connections open, or being opened.
    var connections: Int { idle.count + leased + connecting }

    mutating func lease(_ waiter: WaiterID, now: UInt64) -> LeaseDecision {
        if downSince != nil {
            guard now >= nextProbe else { return .refuse }
            nextProbe = now &+ configuration.probeInterval
            waiters.append((waiter, now &+ configuration.acquireTimeout))
            connecting += 1
            return .wait(connect: true)
        }
        if let connection = idle.popLast() {
            leased += 1
            return .use(connection)
        }
        waiters.append((waiter, now &+ configuration.acquireTimeout))
        guard connections < configuration.maximumConnections else { return .wait(connect: false) }
        connecting += 1
        return .wait(connect: true)
    }

    /// A lease ended; `broken` when its connection can no longer be used.
    mutating func release(_ connection: ConnectionID, broken: Bool, now: UInt64) -> Handoff {
        leased -= 1
        if broken {
            guard !waiters.isEmpty, downSince == nil, connections < configuration.maximumConnections else { return .nothing }
            connecting += 1
            return .connect
        }
        return handOver(connection)
    }

    /// A new connection is up: the database is reachable.
    mutating func connected(_ connection: ConnectionID, now: UInt64) -> Handoff {
        connecting -= 1
        downSince = nil
        return handOver(connection)
    }

    /// A connect failed: the database is down; every waiting request is answered now.
    mutating func connectFailed(now: UInt64) -> [WaiterID] {
        connecting -= 1
        if downSince == nil {
            downSince = now
            nextProbe = now &+ configuration.probeInterval
        }
        defer { waiters.removeAll() }
        return waiters.map(\.id)
    }

    /// Requests whose deadline has passed: answered 503, no longer waiting.
    mutating func expire(now: UInt64) -> [WaiterID] {
        // Every 10 ms, usually with nobody late: nothing to copy then.
        guard waiters.contains(where: { $0.deadline <= now }) else { return [] }
        var expired: [WaiterID] = []
        var kept = CircularBuffer<(id: WaiterID, deadline: UInt64)>()
        for waiter in waiters {
            if waiter.deadline <= now { expired.append(waiter.id) } else { kept.append(waiter) }
        }
        waiters = kept
        return expired
    }

    private mutating func handOver(_ connection: ConnectionID) -> Handoff {
        if let waiter = waiters.popFirst() {
            leased += 1
            return .give(connection, to: waiter.id)
        }
        idle.append(connection)
        return .keep
    }
}
