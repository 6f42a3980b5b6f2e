import Observability

/// One finished request, as the transport hands it to its worker's recorder.
struct Sample: Codable {
    var endpoint: Int
    /// HTTP status, or 0 when no response came (see `error`).
    var status: Int
    var error: ErrorKind?
    /// Microseconds from when the request was due (the open model's intended time, else its send).
    var correctedMicros: UInt64
    /// Microseconds from when the request was actually sent.
    var uncorrectedMicros: UInt64
    var serverTiming: ServerTiming?
    /// The response's `Server-Timing` was there but unbelievable (see `ServerTiming.ParseResult`).
    var serverTimingRejected = false
    /// The number in the request's `X-Request-ID`.
    var requestNumber: UInt64
    /// When it finished, in nanoseconds from the run's start.
    var finishedAt: UInt64
    /// What the response said of a rate limit, when it said anything.
    var rateLimit: RateLimitSignals?
    /// Sent by a user that had waited out a `Retry-After` (`LoadPlan.respectRetryAfter`).
    var afterRetryWait = false
    /// A journey's request: the number of the journey's first request, whose trace it is part of.
    var journeyNumber: UInt64?
}
