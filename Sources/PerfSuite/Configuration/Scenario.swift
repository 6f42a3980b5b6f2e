import LoadEngine
import Observability

/// The kinds of scenario the original suite names; each one loads and is judged differently.
public enum ScenarioType: String, CaseIterable, Codable, Sendable {
    case load, stress, spike, volume, endurance, memory, cpu
    /// Drives a target above its rate limit and judges the limit it observed (`RateLimitObservation`).
    case rateLimit = "rate_limit"
    /// Loads the API, then replays the statements it ran straight against its database at the same
    /// concurrency, and compares the two throughputs (`DatabaseComparison`).
    case database
}

/// How bad a failed scenario is; `--fail-on` sets the least severity that fails a run.
public enum Severity: String, CaseIterable, Codable, Sendable, Comparable {
    case low, medium, high, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// What a scenario sends: an HTTP method, a path and an optional JSON body.
public struct EndpointSpec: Codable, Sendable, Equatable {
    public var method: String
    public var path: String
    public var body: String?
}

/// A scenario's share of one endpoint.
public struct EndpointShare: Sendable, Equatable {
    public var name: String
    public var weight: Int

    public init(name: String, weight: Int = 1) {
        self.name = name
        self.weight = weight
    }
}

/// Data a scenario needs in the database before it runs.
public struct Dataset: Codable, Sendable, Equatable {
    public var projects: Int
    public var workflowsPerProject: Double
}

/// A spike: a baseline of users, a sudden ramp to the peak, a hold, the ramp back, and a recovery.
public struct SpikeShape: Sendable, Equatable {
    public var baselineUsers: Int
    public var baseline: Duration
    public var ramp: Duration
    public var hold: Duration
    public var recovery: Duration

    public init(baselineUsers: Int, baseline: Duration, ramp: Duration, hold: Duration, recovery: Duration) {
        self.baselineUsers = baselineUsers
        self.baseline = baseline
        self.ramp = ramp
        self.hold = hold
        self.recovery = recovery
    }
}

/// How a scenario loads the server.
public enum ScenarioLoad: Sendable, Equatable {
    /// Closed model: `users` each send `requestsPerUser` requests back to back.
    case requests(users: Int, requestsPerUser: Int)
    /// Closed model for a duration, with think time between a response and the next request.
    case duration(users: Int, duration: Duration, thinkTime: Duration)
    /// Users ramp from the spike's baseline to `peak` and back.
    case spike(peak: Int, shape: SpikeShape)
    /// Open model: `rate` requests per second for `duration`, at most `maxInFlight` at once.
    case rate(rate: Double, duration: Duration, maxInFlight: Int)
    /// Closed model through stages of users (k6's ramping VUs): `stages:` or a users `pattern:`.
    case userStages(UserRamp)
    /// Open model through stages of rates (k6's ramping arrival rate): `stages:` or a rate `pattern:`.
    case rateStages(RateRamp, maxInFlight: Int)
}

/// An objective a scenario is held to besides its thresholds: over the whole run, or in every
/// window of `window` (sliding by a second), so that a burst is not averaged away by a long run.
public struct ScenarioObjective: Codable, Sendable, Equatable {
    public var objective: ServiceObjective
    /// Judged in every window this long; nil: over the whole run.
    public var window: Duration?
    /// Stop the scenario as soon as the objective is broken (after `grace`).
    public var abortOnFail: Bool
    /// How much of the run passes before a broken objective may abort it (warm-up).
    public var grace: Duration

    public init(objective: ServiceObjective, window: Duration? = nil, abortOnFail: Bool = false, grace: Duration = .zero) {
        self.objective = objective
        self.window = window
        self.abortOnFail = abortOnFail
        self.grace = grace
    }

    /// Whole seconds of the window (at least one).
    public var windowSeconds: Int? { window.map { max(1, Int($0.seconds.rounded())) } }

    enum CodingKeys: String, CodingKey {
        case objective, windowSeconds, abortOnFail, graceSeconds
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(objective.description, forKey: .objective)
        try container.encodeIfPresent(windowSeconds, forKey: .windowSeconds)
        try container.encode(abortOnFail, forKey: .abortOnFail)
        try container.encode(grace.seconds, forKey: .graceSeconds)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .objective)
        do {
            objective = try ServiceObjective.parse(text)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .objective, in: container, debugDescription: error.description)
        }
        window = try container.decodeIfPresent(Int.self, forKey: .windowSeconds).map { .seconds($0) }
        abortOnFail = try container.decode(Bool.self, forKey: .abortOnFail)
        grace = .nanoseconds(Int64(try container.decode(Double.self, forKey: .graceSeconds) * 1e9))
    }
}

/// One scenario of the suite, validated, with its effective thresholds.
public struct Scenario: Sendable, Equatable {
    public var key: String
    public var name: String
    public var description: String
    public var type: ScenarioType
    public var severity: Severity
    public var endpoints: [EndpointShare]
    public var load: ScenarioLoad
    public var dataset: Dataset?
    public var thresholds: Thresholds
    /// Objectives judged over the run or over sliding windows, possibly aborting it.
    public var objectives: [ScenarioObjective] = []
    /// A `rate_limit` scenario's declared limit and checks.
    public var rateLimit: RateLimitExpectation?
    /// A `database` scenario's least ratio of the API's throughput to its database's.
    public var database: DatabaseLoadExpectation?
    /// A user journey (`flow:`): what each user repeats, step by step; its steps are the scenario's endpoints.
    public var journey: Journey?

    /// The users of a closed model of fixed users (what a `database` scenario's replay runs at).
    public var fixedUsers: Int? {
        switch load {
        case .requests(let users, _), .duration(let users, _, _): users
        default: nil
        }
    }

    /// The load model for this scenario, with request counts and durations multiplied by `scale`
    /// (1 runs it as written; smaller values give quick smoke runs).
    public func loadModel(scale: Double = 1) -> LoadModel {
        switch load {
        case .requests(let users, let perUser):
            return .closedRequests(users: users, totalRequests: max(users, Int((Double(users * perUser) * scale).rounded())))
        case .duration(let users, let duration, let think):
            return .closedDuration(users: users, duration: Self.scaled(duration, by: scale), thinkTime: think)
        case .spike(let peak, let shape):
            return .rampingUsers(shape.ramp(peak: peak, scale: scale), thinkTime: .zero)
        case .rate(let rate, let duration, let maxInFlight):
            return .constantRate(rate: rate, duration: Self.scaled(duration, by: scale), maxInFlight: maxInFlight)
        case .userStages(let ramp):
            return .rampingUsers(UserRamp(startUsers: ramp.startUsers, stages: ramp.stages.map { .init(duration: Self.scaledStage($0.duration, by: scale), target: $0.target) }), thinkTime: .zero)
        case .rateStages(let ramp, let maxInFlight):
            return .rampingRate(
                RateRamp(startRate: ramp.startRate, stages: ramp.stages.map { .init(duration: Self.scaledStage($0.duration, by: scale), target: $0.target) }),
                maxInFlight: maxInFlight)
        }
    }

    /// A scenario's duration under `--scale`: multiplied, and never below a tenth of a second.
    static func scaled(_ duration: Duration, by scale: Double) -> Duration {
        .nanoseconds(max(Int64(duration.seconds * scale * 1e9), 100_000_000))
    }

    /// A stage's duration under `--scale`: multiplied, at least a millisecond (a pattern's jumps
    /// are that short).
    static func scaledStage(_ duration: Duration, by scale: Double) -> Duration {
        .nanoseconds(max(Int64(duration.seconds * scale * 1e9), 1_000_000))
    }

    /// The spike's phases in seconds from the start, for reporting how the server recovered: read
    /// off the very ramp that runs, so that they agree at any scale.
    public func phases(scale: Double = 1) -> [(name: String, start: Double, end: Double)] {
        guard case .spike(let peak, let shape) = load else { return [] }
        let ends = shape.ramp(peak: peak, scale: scale).stages.reduce(into: [Double]()) { ends, stage in
            ends.append((ends.last ?? 0) + stage.duration.seconds)
        }
        // Stages: baseline, ramp up, hold, ramp down, recovery.
        return [("baseline", 0, ends[0]), ("spike", ends[0], ends[2]), ("recovery", ends[3], ends[4])]
    }
}

extension SpikeShape {
    /// The user ramp: baseline hold, ramp up, hold at the peak, ramp down, recovery at the baseline.
    func ramp(peak: Int, scale: Double) -> UserRamp {
        UserRamp(startUsers: baselineUsers, stages: [
            .init(duration: Scenario.scaled(baseline, by: scale), target: baselineUsers),
            .init(duration: Scenario.scaled(ramp, by: scale), target: peak),
            .init(duration: Scenario.scaled(hold, by: scale), target: peak),
            .init(duration: Scenario.scaled(ramp, by: scale), target: baselineUsers),
            .init(duration: Scenario.scaled(recovery, by: scale), target: baselineUsers),
        ])
    }
}
