import Observability

/// An arrival schedule: when the n-th request of a run is due (vegeta's pacer, as a pure function).
protocol Pacer: Sendable {
    /// Seconds from the start at which request `index` (from 0) is due, or nil past the schedule's end.
    func dueTime(ofRequest index: Int) -> Double?
    /// Requests due from the start up to `elapsed` seconds; at or past the end, all the schedule's requests.
    func requestsDue(by elapsed: Double) -> Int
}

/// A constant rate for a duration.
public struct ConstantRate: Pacer, Equatable {
    public var rate: Double
    public var duration: Duration

    public init(rate: Double, duration: Duration) {
        self.rate = rate
        self.duration = duration
    }

    func dueTime(ofRequest index: Int) -> Double? {
        let due = Double(index) / rate
        return due < duration.seconds ? due : nil
    }

    func requestsDue(by elapsed: Double) -> Int {
        guard elapsed >= 0 else { return 0 }
        let capped = min(elapsed, duration.seconds)
        let due = Int((capped * rate).rounded(.down)) + 1
        return min(due, Int((duration.seconds * rate).rounded(.up)))
    }
}

/// A rate that moves linearly from stage to stage: `[(duration, target)]`, starting from `startRate`.
public struct RateRamp: Pacer, Equatable {
    public struct Stage: Sendable, Equatable {
        public var duration: Duration
        /// Requests per second reached at the end of the stage.
        public var target: Double

        public init(duration: Duration, target: Double) {
            self.duration = duration
            self.target = target
        }
    }

    public let startRate: Double
    public let stages: [Stage]
    /// The rate over time, walked once.
    let shape: PiecewiseLinear

    public init(startRate: Double = 0, stages: [Stage]) {
        self.startRate = startRate
        self.stages = stages
        shape = PiecewiseLinear(initial: startRate, stages: stages.map { ($0.duration.seconds, $0.target) })
    }

    public var duration: Duration { stages.reduce(.zero) { $0 + $1.duration } }

    func validate() throws {
        guard !stages.isEmpty else { throw LoadEngineError.invalidPlan("a ramp needs at least one stage") }
        guard startRate >= 0, stages.allSatisfy({ $0.target >= 0 && $0.duration > .zero }) else {
            throw LoadEngineError.invalidPlan("ramp rates must not be negative and stages must last")
        }
    }

    /// The rate at `elapsed` seconds.
    public func rate(at elapsed: Double) -> Double { shape.value(at: elapsed) }

    /// Requests due by `elapsed` (the integral of the rate), as a real number.
    func cumulative(at elapsed: Double) -> Double { shape.integral(at: elapsed) }

    func requestsDue(by elapsed: Double) -> Int {
        guard elapsed >= 0 else { return 0 }
        let first = startRate > 0 ? 1 : 0
        if elapsed >= shape.duration {
            // Only requests due strictly before the end: one due exactly at the end is not sent.
            return max(0, Int((shape.total - 1e-9).rounded(.up)) - 1 + first)
        }
        return Int((cumulative(at: elapsed) + 1e-9).rounded(.down)) + first
    }

    func dueTime(ofRequest index: Int) -> Double? {
        // Request n is due when the cumulative count reaches n (n + 1 when the ramp starts above zero,
        // so that request 0 goes at once).
        if startRate > 0 && index == 0 { return 0 }
        guard let due = shape.time(whereIntegralReaches: Double(index) + (startRate > 0 ? 0 : 1)) else { return nil }
        return due < shape.duration ? due : nil
    }
}

/// Users that move linearly from stage to stage, starting from `startUsers`: a spike is a short
/// stage up, a hold, a short stage down and a recovery hold.
public struct UserRamp: Sendable, Equatable {
    public struct Stage: Sendable, Equatable {
        public var duration: Duration
        public var target: Int

        public init(duration: Duration, target: Int) {
            self.duration = duration
            self.target = target
        }
    }

    public let startUsers: Int
    public let stages: [Stage]
    /// The users over time, walked once.
    let shape: PiecewiseLinear

    public init(startUsers: Int = 0, stages: [Stage]) {
        self.startUsers = startUsers
        self.stages = stages
        shape = PiecewiseLinear(initial: Double(startUsers), stages: stages.map { ($0.duration.seconds, Double($0.target)) })
    }

    public var duration: Duration { stages.reduce(.zero) { $0 + $1.duration } }
    public var peakUsers: Int { stages.map(\.target).max().map { max($0, startUsers) } ?? startUsers }

    func validate() throws {
        guard !stages.isEmpty else { throw LoadEngineError.invalidPlan("a ramp needs at least one stage") }
        guard peakUsers > 0 else { throw LoadEngineError.invalidPlan("a ramp needs at least one user at some point") }
        guard startUsers >= 0, stages.allSatisfy({ $0.target >= 0 && $0.duration > .zero }) else {
            throw LoadEngineError.invalidPlan("ramp users must not be negative and stages must last")
        }
    }

    /// Users active at `elapsed` seconds (rounded to the nearest whole user).
    public func users(at elapsed: Double) -> Int { Int(shape.value(at: elapsed).rounded()) }
}
