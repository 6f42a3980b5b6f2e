/// Faults the server can be told to inject, for proving the harness's verdicts against known causes.
/// All zero (none) by default; set through `PUT /_faults` on a server started with `--enable-faults`.
public struct FaultSettings: Codable, Sendable, Equatable {
    /// Milliseconds added to every affected request before it is handled.
    public var latencyMs: Double = 0
    /// Percent by which every affected request is slowed, in proportion to its own handling time.
    public var slowdownPercent: Double = 0
    /// Milliseconds of CPU every affected request burns: server code that got slower, which a
    /// saturated server cannot hide the way it hides a sleep.
    public var cpuMs: Double = 0
    /// Share of affected requests (0...1) answered 500 instead of being handled.
    public var errorRate: Double = 0
    /// Bytes retained, never freed, per affected request: a memory leak.
    public var leakBytesPerRequest: Int = 0
    /// Seconds of `pg_sleep` run as an extra query per affected request: a slow query.
    public var slowQueryMs: Double = 0
    /// A one-off stall of the whole server: it starts `stallAfterMs` after the settings are applied
    /// and lasts `stallMs`; every request arriving in it waits for its end.
    public var stallMs: Double = 0
    public var stallAfterMs: Double = 0
    /// Only requests whose path starts with this are affected ("" for every API request).
    public var pathPrefix: String = ""

    public init() {}

    enum CodingKeys: String, CodingKey {
        case latencyMs = "latency_ms"
        case slowdownPercent = "slowdown_percent"
        case cpuMs = "cpu_ms"
        case errorRate = "error_rate"
        case leakBytesPerRequest = "leak_bytes_per_request"
        case slowQueryMs = "slow_query_ms"
        case stallMs = "stall_ms"
        case stallAfterMs = "stall_after_ms"
        case pathPrefix = "path_prefix"
    }

    /// Reads settings from a request body field by field; absent fields stay at zero.
    init(_ body: [String: JSONValue]) throws {
        var reader = FieldReader(body)
        latencyMs = reader.number("latency_ms", range: 0...60_000) ?? 0
        slowdownPercent = reader.number("slowdown_percent", range: 0...10_000) ?? 0
        cpuMs = reader.number("cpu_ms", range: 0...10_000) ?? 0
        errorRate = reader.number("error_rate", range: 0...1) ?? 0
        leakBytesPerRequest = reader.integer("leak_bytes_per_request", range: 0...10_000_000) ?? 0
        slowQueryMs = reader.number("slow_query_ms", range: 0...60_000) ?? 0
        stallMs = reader.number("stall_ms", range: 0...600_000) ?? 0
        stallAfterMs = reader.number("stall_after_ms", range: 0...3_600_000) ?? 0
        pathPrefix = reader.string("path_prefix", required: false, length: 0...200) ?? ""
        try reader.finish()
    }
}
