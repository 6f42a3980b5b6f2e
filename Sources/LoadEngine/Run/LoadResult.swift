import Foundation
import Histogram

/// Latency percentiles in milliseconds, from a histogram: wrk2's list, up to 99.99 and the max.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var count: UInt64
    public var mean: Double
    public var min: Double
    public var p50: Double
    public var p75: Double
    public var p90: Double
    public var p95: Double
    public var p99: Double
    public var p999: Double
    public var p9999: Double
    public var max: Double

    public init(_ histogram: Histogram<UInt64>) {
        count = histogram.totalCount
        mean = histogram.meanMilliseconds
        min = histogram.totalCount == 0 ? 0 : Double(histogram.min) / 1000
        p50 = histogram.milliseconds(atPercentile: 50)
        p75 = histogram.milliseconds(atPercentile: 75)
        p90 = histogram.milliseconds(atPercentile: 90)
        p95 = histogram.milliseconds(atPercentile: 95)
        p99 = histogram.milliseconds(atPercentile: 99)
        p999 = histogram.milliseconds(atPercentile: 99.9)
        p9999 = histogram.milliseconds(atPercentile: 99.99)
        max = histogram.maxMilliseconds
    }
}

/// The server's side of one endpoint's requests, from their `Server-Timing` headers.
public struct ServerSideResult: Codable, Sendable, Equatable {
    /// Responses that carried the header (the rest were measured client-side only).
    public var timedResponses: Int
    public var app: LatencySummary
    public var database: LatencySummary
    public var pool: LatencySummary
    /// Client latency minus `app`, per request: network, kernel and queueing outside the handler.
    public var remainder: LatencySummary
    public var queriesPerRequest: Double
    public var histograms: Histograms

    public struct Histograms: Codable, Sendable, Equatable {
        public var app: SparseHistogram
        public var database: SparseHistogram
        public var pool: SparseHistogram
        public var remainder: SparseHistogram
    }

    enum CodingKeys: String, CodingKey {
        case timedResponses, app, database = "db", pool, remainder, queriesPerRequest, histograms
    }
}

/// One endpoint's (endpoint's) results.
public struct EndpointResult: Codable, Sendable, Equatable {
    public var name: String
    public var requests: Int
    public var requestsPerSecond: Double
    public var latency: LatencySummary
    public var uncorrectedLatency: LatencySummary
    public var statusClasses: [String: Int]
    public var errors: ErrorCounts
    public var server: ServerSideResult
    public var histograms: ClientHistograms

    enum CodingKeys: String, CodingKey {
        case name, requests, requestsPerSecond, latency = "latencyMs", uncorrectedLatency = "uncorrectedLatencyMs", statusClasses, errors
        case server, histograms
    }
}

/// A run's client-side histograms, encoded so a report can be re-rendered later.
public struct ClientHistograms: Codable, Sendable, Equatable {
    public var corrected: SparseHistogram
    public var uncorrected: SparseHistogram
}

/// What a load run measured. Every figure comes from histograms and counters; no sample list is kept.
public struct LoadResult: Codable, Sendable {
    public var target: String
    public var runTag: String
    public var openModel: Bool
    public var connections: Int
    public var threads: Int
    public var startedAt: Date
    public var durationSeconds: Double
    /// True when the run was stopped before its plan was done (Ctrl-C).
    public var interrupted: Bool
    /// Why the plan's `abortCheck` stopped the run early, if it did (an objective broken).
    public var abortReason: String?
    /// Requests finished: answered (any status), failed or timed out.
    public var totalRequests: Int
    /// Requests answered 1xx, 2xx or 3xx.
    public var successfulRequests: Int
    public var requestsPerSecond: Double
    public var errors: ErrorCounts
    /// Latency from when each request was due (open model: the schedule; closed: the send).
    public var latency: LatencySummary
    /// Latency from when each request was actually sent (what wrk, hey and oha report).
    public var uncorrectedLatency: LatencySummary
    public var statusClasses: [String: LatencySummary]
    public var endpoints: [EndpointResult]
    public var seconds: [SecondWindow]
    public var exemplars: [Exemplar]
    /// Open model: requests sent more than 1 ms late, the worst delay, and requests never sent.
    public var lateRequests: Int
    public var worstLatenessMilliseconds: Double
    public var unsentRequests: Int
    /// Timed runs: requests still in flight at the planned end plus the graceful stop, cut off
    /// there and not counted among the finished ones.
    public var cutOffAtEnd: Int
    /// Connections opened, failed, closed by the server, and answers that came unasked.
    public var connectionStats: ConnectionStats
    /// Responses whose `Server-Timing` figures could not be true (negative, not numbers, absurd):
    /// counted, and kept out of the server-side histograms.
    public var rejectedServerTimings: Int
    /// HTTPS runs: the handshakes and how they went; nil for plain HTTP.
    public var tls: TLSSummary?
    /// HTTP/2 runs: the most requests in flight on one connection (streams); nil for HTTP/1.1.
    public var http2StreamsPerConnection: Int?
    /// Whether the engine itself kept up with the plan (nil in reports written before it was kept).
    public var engine: EngineCheck?
    public var histograms: ClientHistograms
    /// A run spread over worker processes: how they started and which were lost (nil: one process).
    public var distribution: DistributionSummary?
    /// Refusals (429) and rate-limit headers, when the target showed any (nil: no sign of a limit).
    public var rateLimit: RateLimitSummary?
    /// A run of a journey: its journeys (each step is an endpoint of `endpoints`).
    public var journeys: JourneySummary?

    enum CodingKeys: String, CodingKey {
        case target, runTag, openModel, connections, threads, startedAt, durationSeconds, interrupted, abortReason, totalRequests, successfulRequests
        case requestsPerSecond, errors, latency = "latencyMs", uncorrectedLatency = "uncorrectedLatencyMs", statusClasses, endpoints, seconds
        case exemplars, lateRequests, worstLatenessMilliseconds = "worstLatenessMs", unsentRequests, cutOffAtEnd, connectionStats
        case rejectedServerTimings, tls, http2StreamsPerConnection, engine, histograms, distribution, rateLimit, journeys
    }

    /// Requests that failed in transport or were answered 5xx: what error rates count.
    public var failedRequests: Int { errors.transport + errors[.http5xx] }

    /// Successful requests as a percentage of all finished ones (100 when none finished).
    public var successRatePercent: Double {
        totalRequests == 0 ? 100 : Double(successfulRequests) * 100 / Double(totalRequests)
    }
}

/// How a run's TLS went: its handshakes (timed apart from the requests, once per connection made,
/// reconnects included), the handshakes that failed and why, and whether the server's certificate
/// was checked at all.
public struct TLSSummary: Codable, Sendable {
    /// True when `--insecure` switched off every check of the server's certificate.
    public var verificationSkipped: Bool
    public var handshakes: Int
    /// From the TCP connection to the end of the handshake.
    public var handshake: LatencySummary
    /// Failed handshakes by reason (an unknown authority, an expired certificate, a name mismatch, a timeout).
    public var failures: [String: Int]

    enum CodingKeys: String, CodingKey {
        case verificationSkipped, handshakes, handshake = "handshakeMs", failures
    }
}
