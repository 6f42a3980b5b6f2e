/// When one virtual user sends next, by its load model: a pure function of the time and of the
/// user's own counts, so that every model's timing is tested without sockets or clocks.
///
/// Times are nanoseconds on the engine's clock (`NIODeadline.uptimeNanoseconds`).
struct UserSchedule {
    enum Kind {
        /// Closed model: a fixed number of requests, back to back.
        case requests(remaining: Int)
        /// Closed model until `end`, optionally following a user ramp (`index` sends only while
        /// the ramp has more users than that).
        case until(end: UInt64, ramp: UserRamp?)
        /// Open model: request `next` of the run is this user's next (users take every
        /// `stride`-th request), none sent at or after `end`.
        case open(pacer: any Pacer, next: Int, stride: Int, end: UInt64)
    }

    /// What the schedule says at a given moment.
    enum Decision: Equatable {
        /// Send now; the request was due at `due` (earlier than now when the schedule is behind).
        case send(due: UInt64)
        /// Nothing to send before `until`.
        case wait(until: UInt64)
        /// This user sends no more.
        case done
    }

    var kind: Kind
    let index: Int
    let start: UInt64
    let think: UInt64
    /// No request before this (think time after the last one finished).
    private var notBefore: UInt64 = 0

    /// How often a user outside a ramp's current count looks again.
    static let rampPoll: UInt64 = 20_000_000

    init(kind: Kind, index: Int, start: UInt64, think: UInt64) {
        self.kind = kind
        self.index = index
        self.start = start
        self.think = think
    }

    /// What to do at `now`.
    func decide(now: UInt64) -> Decision {
        switch kind {
        case .requests(let remaining):
            guard remaining > 0 else { return .done }
            return notBefore > now ? .wait(until: notBefore) : .send(due: now)
        case .until(let end, let ramp):
            if now >= end { return .done }
            if notBefore > now { return .wait(until: min(notBefore, end)) }
            if let ramp, index >= ramp.users(at: Double(now &- start) / 1e9) {
                return .wait(until: min(now &+ Self.rampPoll, end))
            }
            return .send(due: now)
        case .open(let pacer, let next, _, let end):
            guard let seconds = pacer.dueTime(ofRequest: next), now < end else { return .done }
            if notBefore > now { return .wait(until: min(notBefore, end)) }
            let due = start &+ UInt64(seconds * 1e9)
            return due > now ? .wait(until: due) : .send(due: due)
        }
    }

    /// A request left (or was given up before it could leave, when its connection failed).
    mutating func claimed() {
        if case .open(let pacer, let next, let stride, let end) = kind {
            kind = .open(pacer: pacer, next: next + stride, stride: stride, end: end)
        }
    }

    /// A request finished at `now`, answered or failed; `hold` (nanoseconds) is a `Retry-After` the
    /// user waits out, with its think time if that is longer.
    mutating func finished(now: UInt64, hold: UInt64 = 0) {
        if case .requests(let remaining) = kind { kind = .requests(remaining: remaining - 1) }
        let pause = max(think, hold)
        if pause > 0 { notBefore = now &+ pause }
    }

    /// Open model: requests this user was due to send before the end, counted from its next,
    /// when the schedule is `totalDue` requests long.
    func owed(totalDue: Int) -> Int {
        guard case .open(_, let next, let stride, _) = kind, totalDue > next else { return 0 }
        return (totalDue - next + stride - 1) / stride
    }
}
