import Observability
import Synchronization

/// Decides whether a request may wait for a database connection, so that a database that is down
/// costs a fast 503 instead of a hung request.
///
/// - While the database is up, a request waits for a pooled connection, at most the acquire timeout.
/// - Once the database is seen to be unreachable, requests are refused at once, except one probe
///   every `probeInterval`, which waits as usual; its success reopens the gate.
/// - It is seen unreachable on a connection error, or when requests have been waiting for
///   `stallLimit` while no connection was handed out and none is in use: a pool that lost its
///   connections keeps requests waiting without an error, and this is how the gate learns of it
///   within half a second. A pool whose connections are all busy (slow queries) is full, not down:
///   its requests time out one by one, and the gate stays open.
///
/// Pure decisions over atomics, driven with explicit times so that tests need no clock.
final class DatabaseGate: Sendable {
    enum Decision: Equatable {
        /// Wait for a connection, at most the acquire timeout.
        case wait
        /// Answer 503 at once: the database is down.
        case refuse
    }

    let probeInterval: UInt64
    let stallLimit: UInt64
    private let lastSuccess = Atomic<UInt64>(0)
    /// Requests waiting for a connection, and when the oldest current run of waiting began.
    private let waiting = Mutex<(count: Int, since: UInt64)>((0, 0))
    private let leased = Atomic<Int>(0)
    private let downSince = Atomic<UInt64>(0)
    private let nextProbe = Atomic<UInt64>(0)

    init(probeInterval: Duration = .milliseconds(250), stallLimit: Duration = .milliseconds(500)) {
        self.probeInterval = probeInterval.nanoseconds
        self.stallLimit = stallLimit.nanoseconds
    }

    /// A request starts waiting for a connection.
    func waitStarted(now: UInt64) {
        waiting.withLock { state in
            if state.count == 0 { state.since = now }
            state.count += 1
        }
    }

    /// A request stops waiting (it got a connection, or gave up).
    func waitEnded() {
        waiting.withLock { $0.count -= 1 }
    }

    /// A connection is in use / back in the pool.
    func leaseStarted() { leased.wrappingAdd(1, ordering: .relaxed) }
    func leaseEnded() { leased.wrappingSubtract(1, ordering: .relaxed) }

    /// True when requests have waited `stallLimit` with no connection handed out and none in use:
    /// the pool has nothing to give.
    func stalled(now: UInt64) -> Bool {
        guard leased.load(ordering: .relaxed) == 0 else { return false }
        let (count, since) = waiting.withLock { ($0.count, $0.since) }
        guard count > 0 else { return false }
        let progress = max(lastSuccess.load(ordering: .relaxed), since)
        return now > progress && now &- progress > stallLimit
    }

    /// When the database was first seen down in the current outage (nil while it is up).
    var downSinceNanoseconds: UInt64? {
        let since = downSince.load(ordering: .acquiring)
        return since == 0 ? nil : since
    }

    func decide(now: UInt64) -> Decision {
        if downSince.load(ordering: .acquiring) != 0 {
            let probe = nextProbe.load(ordering: .acquiring)
            guard now >= probe else { return .refuse }
            // Only the request that moves the probe time forward probes; the others are refused.
            let (won, _) = nextProbe.compareExchange(expected: probe, desired: now &+ probeInterval, ordering: .acquiringAndReleasing)
            return won ? .wait : .refuse
        }
        if stalled(now: now) {
            failed(now: now)
            return .refuse
        }
        return .wait
    }

    /// A connection was handed out: the database is reachable.
    func succeeded(now: UInt64) {
        lastSuccess.store(now, ordering: .relaxed)
        if downSince.load(ordering: .relaxed) != 0 { downSince.store(0, ordering: .releasing) }
    }

    /// A request waited the whole acquire timeout: the database is down only if nothing was in use
    /// (a full pool is busy, not down).
    func timedOut(now: UInt64) {
        if leased.load(ordering: .relaxed) == 0 { failed(now: now) }
    }

    /// The database could not be reached (a connection error, or a pool with nothing to give).
    func failed(now: UInt64) {
        let (first, _) = downSince.compareExchange(expected: 0, desired: now, ordering: .acquiringAndReleasing)
        if first { nextProbe.store(now &+ probeInterval, ordering: .releasing) }
    }
}
