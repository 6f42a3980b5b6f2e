/// A `rate_limit` scenario's `rate_limit:` block: the limit the target declares, how close the
/// observed one must come, whether refusals must carry their headers, and whether users wait out
/// a `Retry-After`.
public struct RateLimitExpectation: Codable, Sendable, Equatable {
    /// Requests a second the target says it accepts from this client (`limit: 100/s`); nil: the
    /// limit is observed and reported, not compared.
    public var limit: Double?
    /// How far the observed limit may be from the declared one, percent of it.
    public var tolerancePercent: Double
    /// Every refusal must carry `Retry-After` and `RateLimit`, and they must agree.
    public var requireHeaders: Bool
    /// Users wait out a refusal's `Retry-After` (`LoadPlan.respectRetryAfter`).
    public var respectRetryAfter: Bool

    public init(limit: Double? = nil, tolerancePercent: Double = 10, requireHeaders: Bool = true, respectRetryAfter: Bool = false) {
        self.limit = limit
        self.tolerancePercent = tolerancePercent
        self.requireHeaders = requireHeaders
        self.respectRetryAfter = respectRetryAfter
    }
}
