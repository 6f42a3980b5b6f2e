/// A load model as a report keeps it: its kind and numbers, durations in seconds, so that two
/// reports can tell whether they ran the same load, and a person can read what it was.
extension LoadModel: Codable {
    private enum Kind: String, Codable {
        case closedRequests = "closed_requests"
        case closedDuration = "closed_duration"
        case rampingUsers = "ramping_users"
        case constantRate = "constant_rate"
        case rampingRate = "ramping_rate"
    }

    private enum CodingKeys: String, CodingKey {
        case kind, users, requests, seconds, think, rate, inFlight, start, stages
    }

    /// A stage of a ramp: seconds and the target reached at its end.
    private struct Stage: Codable {
        var seconds: Double
        var target: Double
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .closedRequests(let users, let total):
            try container.encode(Kind.closedRequests, forKey: .kind)
            try container.encode(users, forKey: .users)
            try container.encode(total, forKey: .requests)
        case .closedDuration(let users, let duration, let think):
            try container.encode(Kind.closedDuration, forKey: .kind)
            try container.encode(users, forKey: .users)
            try container.encode(duration.seconds, forKey: .seconds)
            try container.encode(think.seconds, forKey: .think)
        case .rampingUsers(let ramp, let think):
            try container.encode(Kind.rampingUsers, forKey: .kind)
            try container.encode(ramp.startUsers, forKey: .start)
            try container.encode(ramp.stages.map { Stage(seconds: $0.duration.seconds, target: Double($0.target)) }, forKey: .stages)
            try container.encode(think.seconds, forKey: .think)
        case .constantRate(let rate, let duration, let maxInFlight):
            try container.encode(Kind.constantRate, forKey: .kind)
            try container.encode(rate, forKey: .rate)
            try container.encode(duration.seconds, forKey: .seconds)
            try container.encode(maxInFlight, forKey: .inFlight)
        case .rampingRate(let ramp, let maxInFlight):
            try container.encode(Kind.rampingRate, forKey: .kind)
            try container.encode(ramp.startRate, forKey: .start)
            try container.encode(ramp.stages.map { Stage(seconds: $0.duration.seconds, target: $0.target) }, forKey: .stages)
            try container.encode(maxInFlight, forKey: .inFlight)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func duration(_ key: CodingKeys) throws -> Duration {
            let seconds = try container.decode(Double.self, forKey: key)
            guard let duration = DurationText.duration(seconds: seconds) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(seconds) is not a duration in seconds")
            }
            return duration
        }
        func stages() throws -> [Stage] { try container.decode([Stage].self, forKey: .stages) }
        switch try container.decode(Kind.self, forKey: .kind) {
        case .closedRequests:
            self = .closedRequests(users: try container.decode(Int.self, forKey: .users), totalRequests: try container.decode(Int.self, forKey: .requests))
        case .closedDuration:
            self = .closedDuration(users: try container.decode(Int.self, forKey: .users), duration: try duration(.seconds), thinkTime: try duration(.think))
        case .rampingUsers:
            let ramp = UserRamp(startUsers: try container.decode(Int.self, forKey: .start), stages: try stages().map {
                UserRamp.Stage(duration: DurationText.duration(seconds: $0.seconds) ?? .zero, target: Int($0.target))
            })
            self = .rampingUsers(ramp, thinkTime: try duration(.think))
        case .constantRate:
            self = .constantRate(rate: try container.decode(Double.self, forKey: .rate), duration: try duration(.seconds),
                maxInFlight: try container.decode(Int.self, forKey: .inFlight))
        case .rampingRate:
            let ramp = RateRamp(startRate: try container.decode(Double.self, forKey: .start), stages: try stages().map {
                RateRamp.Stage(duration: DurationText.duration(seconds: $0.seconds) ?? .zero, target: $0.target)
            })
            self = .rampingRate(ramp, maxInFlight: try container.decode(Int.self, forKey: .inFlight))
        }
    }
}

extension LoadModel: CustomStringConvertible {
    /// The model in a line, as reports and tables print it.
    public var description: String {
        switch self {
        case .closedRequests(let users, let total): return "closed: \(users) users, \(total) requests"
        case .closedDuration(let users, let duration, let think):
            return "closed: \(users) users for \(DurationText.format(duration))" + (think > .zero ? ", think time \(DurationText.format(think))" : "")
        case .rampingUsers(let ramp, _):
            return "ramping users: " + ([ramp.startUsers] + ramp.stages.map(\.target)).map(String.init).joined(separator: " → ")
                + " over \(DurationText.format(ramp.duration))"
        case .constantRate(let rate, let duration, let maxInFlight):
            return "open: \(rate) requests/s for \(DurationText.format(duration)), at most \(maxInFlight) in flight"
        case .rampingRate(let ramp, let maxInFlight):
            return "ramping rate over \(DurationText.format(ramp.duration)), at most \(maxInFlight) in flight"
        }
    }
}
