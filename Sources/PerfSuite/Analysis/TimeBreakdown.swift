import LoadEngine

/// Four quantiles of one component of a request's time, in milliseconds.
public struct Quantiles: Codable, Sendable, Equatable {
    public var mean: Double
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double

    public init(mean: Double, p50: Double, p95: Double, p99: Double, max: Double) {
        self.mean = mean
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
    }

    public init(_ summary: LatencySummary) {
        self.init(mean: summary.mean, p50: summary.p50, p95: summary.p95, p99: summary.p99, max: summary.max)
    }
}

/// Where one endpoint's time went: the client's latency beside the server's parts, each from its
/// own histogram (quantiles of parts do not add up; the means do, and the verdict uses them).
public struct TimeBreakdown: Codable, Sendable, Equatable {
    public var endpoint: String
    public var requests: Int
    /// Responses that carried `Server-Timing`; the server-side figures describe these.
    public var timedResponses: Int
    public var client: Quantiles
    /// The handler's whole time (`app`), which includes `db` and `pool`.
    public var app: Quantiles
    public var database: Quantiles
    public var pool: Quantiles
    /// Client latency minus `app`, per request: network, kernel and queueing outside the handler.
    public var remainder: Quantiles
    public var queriesPerRequest: Double
    public var verdict: BottleneckVerdict

    /// The mean client latency in its four additive parts (what the verdict and the stacked bars use).
    public var meanParts: MeanParts { MeanParts(client: client, app: app, database: database, pool: pool) }

    enum CodingKeys: String, CodingKey {
        case endpoint, requests, timedResponses, client, app, database = "db", pool, remainder, queriesPerRequest, verdict
    }

    init(
        endpoint: String, requests: Int, timedResponses: Int, client: Quantiles, app: Quantiles, database: Quantiles, pool: Quantiles,
        remainder: Quantiles, queriesPerRequest: Double, verdict: BottleneckVerdict
    ) {
        self.endpoint = endpoint
        self.requests = requests
        self.timedResponses = timedResponses
        self.client = client
        self.app = app
        self.database = database
        self.pool = pool
        self.remainder = remainder
        self.queriesPerRequest = queriesPerRequest
        self.verdict = verdict
    }

    public init(_ result: EndpointResult) {
        endpoint = result.name
        requests = result.requests
        timedResponses = result.server.timedResponses
        client = Quantiles(result.latency)
        app = Quantiles(result.server.app)
        database = Quantiles(result.server.database)
        pool = Quantiles(result.server.pool)
        remainder = Quantiles(result.server.remainder)
        queriesPerRequest = result.server.queriesPerRequest
        verdict = BottleneckRules.verdict(client: client, app: app, database: database, pool: pool, timedResponses: timedResponses)
    }
}
