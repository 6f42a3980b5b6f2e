/// How a run decides when to send: closed (each user sends again once answered) or open (requests
/// arrive on a schedule whatever the server does), each with fixed or ramping stages.
public enum LoadModel: Sendable, Equatable {
    /// `users` users send `totalRequests` requests between them, each back to back (a user sends
    /// `totalRequests / users`, the first `totalRequests % users` users one more).
    case closedRequests(users: Int, totalRequests: Int)
    /// `users` users send for `duration`, pausing `thinkTime` between a response and the next request.
    case closedDuration(users: Int, duration: Duration, thinkTime: Duration)
    /// Users ramp through stages (a spike is a steep ramp up and back), pausing `thinkTime` between requests.
    case rampingUsers(UserRamp, thinkTime: Duration)
    /// Requests are due at `rate` per second for `duration`, at most `maxInFlight` at once.
    case constantRate(rate: Double, duration: Duration, maxInFlight: Int)
    /// Requests are due at a rate that ramps through stages, at most `maxInFlight` at once.
    case rampingRate(RateRamp, maxInFlight: Int)

    /// Connections the run opens: one per (possible) user, or one per allowed request in flight.
    public var connections: Int {
        switch self {
        case .closedRequests(let users, _), .closedDuration(let users, _, _): return users
        case .rampingUsers(let ramp, _): return ramp.peakUsers
        case .constantRate(_, _, let maxInFlight), .rampingRate(_, let maxInFlight): return maxInFlight
        }
    }

    /// True for the open models, whose latency is measured from the intended send time.
    public var isOpen: Bool {
        switch self {
        case .constantRate, .rampingRate: return true
        default: return false
        }
    }

    /// How long the run lasts by its schedule (nil for a fixed number of requests).
    public var plannedDuration: Duration? {
        switch self {
        case .closedRequests: return nil
        case .closedDuration(_, let duration, _), .constantRate(_, let duration, _): return duration
        case .rampingUsers(let ramp, _): return ramp.duration
        case .rampingRate(let ramp, _): return ramp.duration
        }
    }

    /// The arrival schedule of an open model.
    var pacer: (any Pacer)? {
        switch self {
        case .constantRate(let rate, let duration, _): return ConstantRate(rate: rate, duration: duration)
        case .rampingRate(let ramp, _): return ramp
        default: return nil
        }
    }

    /// Throws when the model's numbers cannot run.
    public func validate() throws {
        func positive(_ value: Int, _ name: String) throws {
            guard value > 0 else { throw LoadEngineError.invalidPlan("\(name) must be at least 1, got \(value)") }
        }
        switch self {
        case .closedRequests(let users, let requests):
            try positive(users, "users"); try positive(requests, "requests")
        case .closedDuration(let users, let duration, let think):
            try positive(users, "users")
            guard duration > .zero else { throw LoadEngineError.invalidPlan("duration must be positive") }
            guard think >= .zero else { throw LoadEngineError.invalidPlan("think time must not be negative") }
        case .rampingUsers(let ramp, _):
            try ramp.validate()
        case .constantRate(let rate, let duration, let maxInFlight):
            guard rate > 0, rate.isFinite else { throw LoadEngineError.invalidPlan("rate must be positive, got \(rate)") }
            guard duration > .zero else { throw LoadEngineError.invalidPlan("duration must be positive") }
            try positive(maxInFlight, "requests in flight")
        case .rampingRate(let ramp, let maxInFlight):
            try ramp.validate(); try positive(maxInFlight, "requests in flight")
        }
    }
}
