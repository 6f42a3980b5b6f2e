/// How a target's rate limit showed in a run: its refusals (429), the `Retry-After` and IETF
/// `RateLimit` headers that came with its answers and whether they agreed, when it first refused,
/// and how the requests fared that users sent after waiting out a `Retry-After`. The accepted
/// rate over time is the run's own per-second windows (answers that were not errors).
public struct RateLimitSummary: Codable, Sendable, Equatable {
    /// Answers 429 Too Many Requests.
    public var refused = 0
    public var refusedWithRetryAfter = 0
    /// Refusals whose `Retry-After` gave a number of seconds (not a date), and the least and most given.
    public var retryAfterSecondsMin: Int?
    public var retryAfterSecondsMax: Int?
    public var refusedWithRateLimit = 0
    /// Answers of any status with a `RateLimit` header, and with a `RateLimit-Policy` header.
    public var answersWithRateLimit = 0
    public var answersWithPolicy = 0
    /// Refusals whose headers contradict each other: `RateLimit` says requests remain, or its reset
    /// is more than a second from `Retry-After`.
    public var inconsistent = 0
    /// Seconds from the run's start to the first refusal's answer.
    public var firstRefusalSeconds: Double?
    /// Requests sent by users that had waited out a `Retry-After` (`respect_retry_after`): accepted
    /// (answered without an error) or refused again.
    public var afterWaitAccepted = 0
    public var afterWaitRefused = 0

    public init() {}

    /// True when the run saw nothing of a limit.
    public var isEmpty: Bool { refused == 0 && answersWithRateLimit == 0 && answersWithPolicy == 0 && refusedWithRetryAfter == 0 }

    mutating func record(_ sample: Sample) {
        let signals = sample.rateLimit ?? RateLimitSignals()
        if signals.rateLimitPresent { answersWithRateLimit += 1 }
        if signals.policyPresent { answersWithPolicy += 1 }
        if sample.status == 429 {
            refused += 1
            if signals.retryAfterPresent { refusedWithRetryAfter += 1 }
            if let seconds = signals.retryAfterSeconds {
                retryAfterSecondsMin = Swift.min(retryAfterSecondsMin ?? seconds, seconds)
                retryAfterSecondsMax = Swift.max(retryAfterSecondsMax ?? seconds, seconds)
            }
            if signals.rateLimitPresent { refusedWithRateLimit += 1 }
            if signals.contradictsRefusal { inconsistent += 1 }
            let at = Double(sample.finishedAt) / 1e9
            firstRefusalSeconds = Swift.min(firstRefusalSeconds ?? at, at)
        }
        if sample.afterRetryWait {
            if sample.status == 429 { afterWaitRefused += 1 } else if sample.error == nil { afterWaitAccepted += 1 }
        }
    }

    mutating func merge(_ other: RateLimitSummary) {
        refused += other.refused
        refusedWithRetryAfter += other.refusedWithRetryAfter
        retryAfterSecondsMin = [retryAfterSecondsMin, other.retryAfterSecondsMin].compactMap { $0 }.min()
        retryAfterSecondsMax = [retryAfterSecondsMax, other.retryAfterSecondsMax].compactMap { $0 }.max()
        refusedWithRateLimit += other.refusedWithRateLimit
        answersWithRateLimit += other.answersWithRateLimit
        answersWithPolicy += other.answersWithPolicy
        inconsistent += other.inconsistent
        firstRefusalSeconds = [firstRefusalSeconds, other.firstRefusalSeconds].compactMap { $0 }.min()
        afterWaitAccepted += other.afterWaitAccepted
        afterWaitRefused += other.afterWaitRefused
    }

    enum CodingKeys: String, CodingKey {
        case refused, refusedWithRetryAfter, retryAfterSecondsMin, retryAfterSecondsMax, refusedWithRateLimit, answersWithRateLimit
        case answersWithPolicy, inconsistent, firstRefusalSeconds, afterWaitAccepted, afterWaitRefused
    }

    /// Reads a summary (from a report or another process): counts within a run's, times and
    /// delays that can be.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        refused = try container.decodeCount(forKey: .refused)
        refusedWithRetryAfter = try container.decodeCount(forKey: .refusedWithRetryAfter)
        refusedWithRateLimit = try container.decodeCount(forKey: .refusedWithRateLimit)
        answersWithRateLimit = try container.decodeCount(forKey: .answersWithRateLimit)
        answersWithPolicy = try container.decodeCount(forKey: .answersWithPolicy)
        inconsistent = try container.decodeCount(forKey: .inconsistent)
        afterWaitAccepted = try container.decodeCount(forKey: .afterWaitAccepted)
        afterWaitRefused = try container.decodeCount(forKey: .afterWaitRefused)
        for key in [CodingKeys.retryAfterSecondsMin, .retryAfterSecondsMax] {
            let seconds = try container.decodeIfPresent(Int.self, forKey: key)
            if let seconds, !(0...RateLimitSignals.largestSeconds).contains(seconds) {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(seconds) s is not a Retry-After the engine reads")
            }
            if key == .retryAfterSecondsMin { retryAfterSecondsMin = seconds } else { retryAfterSecondsMax = seconds }
        }
        firstRefusalSeconds = try container.decodeIfPresent(Double.self, forKey: .firstRefusalSeconds)
        if let first = firstRefusalSeconds, !(first >= 0 && first <= Double(SecondWindow.lastSecond)) {
            throw DecodingError.dataCorruptedError(forKey: .firstRefusalSeconds, in: container, debugDescription: "\(first) s is outside any run")
        }
    }
}
