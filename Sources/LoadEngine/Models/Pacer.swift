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

    public var startRate: Double
    public var stages: [Stage]

    public init(startRate: Double = 0, stages: [Stage]) {
        self.startRate = startRate
        self.stages = stages
    }

    public var duration: Duration { stages.reduce(.zero) { $0 + $1.duration } }

    func validate() throws {
        guard !stages.isEmpty else { throw LoadEngineError.invalidPlan("a ramp needs at least one stage") }
        guard startRate >= 0, stages.allSatisfy({ $0.target >= 0 && $0.duration > .zero }) else {
            throw LoadEngineError.invalidPlan("ramp rates must not be negative and stages must last")
        }
    }

    /// The rate at `elapsed` seconds.
    public func rate(at elapsed: Double) -> Double {
        var from = startRate
        var start = 0.0
        for stage in stages {
            let length = stage.duration.seconds
            if elapsed < start + length {
                return from + (stage.target - from) * (elapsed - start) / length
            }
            start += length
            from = stage.target
        }
        return from
    }

    /// Requests due by `elapsed` (the integral of the rate), as a real number.
    func cumulative(at elapsed: Double) -> Double {
        var total = 0.0
        var from = startRate
        var start = 0.0
        for stage in stages {
            let length = stage.duration.seconds
            let within = min(max(elapsed - start, 0), length)
            let slope = (stage.target - from) / length
            total += from * within + slope * within * within / 2
            if elapsed < start + length { return total }
            start += length
            from = stage.target
        }
        return total
    }

    func requestsDue(by elapsed: Double) -> Int {
        guard elapsed >= 0 else { return 0 }
        let first = startRate > 0 ? 1 : 0
        if elapsed >= duration.seconds {
            // Only requests due strictly before the end: one due exactly at the end is not sent.
            return max(0, Int((cumulative(at: duration.seconds) - 1e-9).rounded(.up)) - 1 + first)
        }
        return Int((cumulative(at: elapsed) + 1e-9).rounded(.down)) + first
    }

    func dueTime(ofRequest index: Int) -> Double? {
        // Request n is due when the cumulative count reaches n (n + 1 when the ramp starts above zero,
        // so that request 0 goes at once); solve the stage's quadratic for the time.
        let wanted = Double(index) + (startRate > 0 ? 0 : 1)
        if startRate > 0 && index == 0 { return 0 }
        var total = 0.0
        var from = startRate
        var start = 0.0
        for stage in stages {
            let length = stage.duration.seconds
            let slope = (stage.target - from) / length
            let stageTotal = from * length + slope * length * length / 2
            if total + stageTotal >= wanted {
                let need = wanted - total
                let offset: Double
                if abs(slope) < 1e-12 {
                    offset = from > 0 ? need / from : length
                } else {
                    let discriminant = max(from * from + 2 * slope * need, 0)
                    offset = (-from + discriminant.squareRoot()) / slope
                }
                let due = start + min(max(offset, 0), length)
                return due < duration.seconds ? due : nil
            }
            total += stageTotal
            start += length
            from = stage.target
        }
        return nil
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

    public var startUsers: Int
    public var stages: [Stage]

    public init(startUsers: Int = 0, stages: [Stage]) {
        self.startUsers = startUsers
        self.stages = stages
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
    public func users(at elapsed: Double) -> Int {
        var from = Double(startUsers)
        var start = 0.0
        for stage in stages {
            let length = stage.duration.seconds
            if elapsed < start + length {
                return Int((from + (Double(stage.target) - from) * (elapsed - start) / length).rounded())
            }
            start += length
            from = Double(stage.target)
        }
        return Int(from)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in nanoseconds.
    var nanoseconds: UInt64 {
        UInt64(max(0, components.seconds)) * 1_000_000_000 + UInt64(max(0, components.attoseconds) / 1_000_000_000)
    }
}
