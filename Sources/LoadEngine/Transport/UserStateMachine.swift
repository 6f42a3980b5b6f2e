/// One virtual user's connection and its request in flight, as a pure state machine (the way
/// PostgresNIO's pool is written): `VirtualUser` reports what happened, with the time, and does
/// what the answer says. No sockets, no clock and no event loop in here, so tests drive every path.
///
/// Times are nanoseconds on the engine's clock.
struct UserStateMachine {
    enum State: Equatable {
        /// A connection is being opened, for the request due at `due` (nil: the first connection,
        /// made before the run's clock starts).
        case connecting(due: UInt64?)
        /// Nothing to do until the run's clock starts.
        case idle(connected: Bool)
        /// A request is in flight.
        case waiting(InFlight)
        /// A timer runs until the schedule's next moment (think time, the next due time, a ramp's turn).
        case pausing(connected: Bool)
        /// A timer runs before reconnecting, after the connection failed.
        case backingOff
        case finished
    }

    /// The request in flight: when it was due and when it left.
    struct InFlight: Equatable {
        var due: UInt64
        var sent: UInt64
    }

    /// A request that ended: answered (whatever the status) or failed with an error kind.
    struct Outcome: Equatable {
        var error: ErrorKind?
        var due: UInt64
        var sent: UInt64
    }

    /// What the I/O shell does next.
    enum Next: Equatable {
        /// Nothing: a connection, a response or a timer is awaited.
        case none
        case connect
        /// Write the next request on the open connection.
        case send(due: UInt64)
        /// Set a timer; report `timerFired` then.
        case wake(at: UInt64)
        /// The user is done: count what it still owed and tell the worker.
        case finish
    }

    struct Actions: Equatable {
        /// A request ended: record it.
        var outcome: Outcome?
        /// Close the connection (and forget whatever it still sends).
        var close = false
        var next = Next.none
    }

    private(set) var state: State = .idle(connected: false)
    private var schedule: UserSchedule?
    /// Failures in a row (connects, connections closed or broken without an answer); an answer resets it.
    private(set) var consecutiveFailures = 0

    var isWaiting: Bool {
        if case .waiting = state { return true }
        return false
    }

    /// Longest pause before a reconnect.
    static let maximumBackoff: UInt64 = 1_000_000_000

    /// The pause before reconnecting after `failures` failures in a row: 25 ms, doubling, at most a second.
    static func backoff(failures: Int) -> UInt64 {
        min(maximumBackoff, 25_000_000 << UInt64(min(max(failures, 1) - 1, 6)))
    }

    // MARK: Events

    /// The first connection, before the clock starts.
    mutating func connectInitially() -> Next {
        state = .connecting(due: nil)
        return .connect
    }

    /// The run's clock started: from now on the schedule decides.
    mutating func start(_ schedule: UserSchedule, now: UInt64) -> Actions {
        self.schedule = schedule
        guard case .idle(let connected) = state else { return Actions() }
        return decide(now: now, connected: connected)
    }

    mutating func connected(now: UInt64) -> Actions {
        switch state {
        case .connecting(due: nil):
            state = .idle(connected: true)
            return Actions()
        case .connecting(due: let due?):
            state = .waiting(InFlight(due: due, sent: now))
            return Actions(next: .send(due: due))
        default:
            return Actions(close: true)
        }
    }

    /// The connection could not be made: `kind` is `connect`, or `tls` when its handshake failed.
    mutating func connectFailed(now: UInt64, kind: ErrorKind = .connect) -> Actions {
        guard case .connecting(let due) = state else { return Actions() }
        guard let due else {
            consecutiveFailures += 1
            state = .idle(connected: false)
            return Actions()
        }
        // The request that wanted this connection fails with it; it never left.
        return failed(InFlight(due: due, sent: now), kind, now: now)
    }

    /// The request could not be sent at all: the connection it was to go on went away between the
    /// decision and the send (an HTTP/2 connection shared with others). It waits for a new
    /// connection with its due time kept; nothing failed yet.
    mutating func notSent() -> Actions {
        guard case .waiting(let request) = state else { return Actions() }
        state = .connecting(due: request.due)
        return Actions(next: .connect)
    }

    mutating func timerFired(now: UInt64) -> Actions {
        switch state {
        case .pausing(let connected): return decide(now: now, connected: connected)
        case .backingOff: return decide(now: now, connected: false)
        default: return Actions()
        }
    }

    /// A whole response arrived; `trailingBytes` when more bytes came after it than any response
    /// could explain (the server answered twice, or framed its answer wrong): a protocol error.
    /// `hold`: nanoseconds the user waits before its next request (a `Retry-After` it respects).
    mutating func responseReceived(now: UInt64, keepAlive: Bool, trailingBytes: Bool, hold: UInt64 = 0) -> Actions {
        guard case .waiting(let request) = state else { return unsolicited() }
        if trailingBytes { return failed(request, .protocol, now: now) }
        consecutiveFailures = 0
        schedule?.finished(now: now, hold: hold)
        var actions = decide(now: now, connected: keepAlive)
        actions.outcome = Outcome(error: nil, due: request.due, sent: request.sent)
        actions.close = actions.close || !keepAlive
        return actions
    }

    /// Bytes that are not HTTP arrived.
    mutating func protocolViolation(now: UInt64) -> Actions {
        guard case .waiting(let request) = state else { return unsolicited() }
        return failed(request, .protocol, now: now)
    }

    /// The connection broke (read or write failed).
    mutating func connectionFailed(_ kind: ErrorKind, now: UInt64) -> Actions {
        guard case .waiting(let request) = state else { return connectionLost() }
        return failed(request, kind, now: now)
    }

    /// The server closed the connection; `completedResponse` when that close ended a response
    /// whose body ran to it.
    mutating func connectionClosed(now: UInt64, completedResponse: Bool, hold: UInt64 = 0) -> Actions {
        guard case .waiting(let request) = state else { return connectionLost() }
        if completedResponse { return responseReceived(now: now, keepAlive: false, trailingBytes: false, hold: hold) }
        return failed(request, .read, now: now)
    }

    /// The sweeper's check: a request in flight longer than `limit` has timed out. A slow server is
    /// not a broken one, so the next request goes without a backoff.
    mutating func checkTimeout(now: UInt64, limit: UInt64) -> Actions {
        guard case .waiting(let request) = state, now &- request.sent > limit else { return Actions() }
        schedule?.finished(now: now)
        var actions = decide(now: now, connected: false)
        actions.outcome = Outcome(error: .timeout, due: request.due, sent: request.sent)
        actions.close = true
        return actions
    }

    /// The run is over for this user (its end, Ctrl-C, or the run was cancelled).
    mutating func stop() -> Actions {
        if case .finished = state { return Actions() }
        state = .finished
        return Actions(close: true, next: .finish)
    }

    /// Open model: requests this user still owed the schedule when it stopped.
    func owed(totalDue: Int) -> Int { schedule?.owed(totalDue: totalDue) ?? 0 }

    // MARK: Decisions

    /// What the schedule says now, given whether a connection is open.
    private mutating func decide(now: UInt64, connected: Bool) -> Actions {
        guard var schedule else { return Actions() }
        switch schedule.decide(now: now) {
        case .done:
            state = .finished
            return Actions(close: connected, next: .finish)
        case .wait(let until):
            state = .pausing(connected: connected)
            return Actions(next: .wake(at: until))
        case .send(let due):
            schedule.claimed()
            self.schedule = schedule
            if connected {
                state = .waiting(InFlight(due: due, sent: now))
                return Actions(next: .send(due: due))
            }
            state = .connecting(due: due)
            return Actions(next: .connect)
        }
    }

    /// The request in flight failed on its connection: record it, close, and back off before reconnecting.
    private mutating func failed(_ request: InFlight, _ kind: ErrorKind, now: UInt64) -> Actions {
        consecutiveFailures += 1
        schedule?.finished(now: now)
        let outcome = Outcome(error: kind, due: request.due, sent: request.sent)
        if schedule?.decide(now: now) == .done {
            state = .finished
            return Actions(outcome: outcome, close: true, next: .finish)
        }
        state = .backingOff
        return Actions(outcome: outcome, close: true, next: .wake(at: now &+ Self.backoff(failures: consecutiveFailures)))
    }

    /// Bytes came with no request in flight (a banner, a 408 on an idle connection, a second answer):
    /// they belong to no request; the connection is closed and the next request opens another.
    private mutating func unsolicited() -> Actions {
        var actions = connectionLost()
        actions.close = true
        return actions
    }

    /// The connection went away while no request was in flight.
    private mutating func connectionLost() -> Actions {
        switch state {
        case .idle(connected: true): state = .idle(connected: false)
        case .pausing(connected: true): state = .pausing(connected: false)
        default: break
        }
        return Actions()
    }
}
