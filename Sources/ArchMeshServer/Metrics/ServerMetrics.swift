import CoreMetrics
import Metrics
import Observability
import Prometheus
import Synchronization

/// The server's Prometheus metrics, recorded through swift-metrics into a registry of its own (so
/// that several servers in one test process do not mix their counts), and rendered by `GET /metrics`.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let requestTimers = Mutex<[RequestKey: Metrics.Timer]>([:])
    private let queryTimers = Mutex<[String: Metrics.Timer]>([:])
    private let inFlight: Meter
    private let poolWait: Metrics.Timer
    private let poolTimeouts: CoreMetrics.Counter
    private let databaseRefusals: CoreMetrics.Counter
    private let requestTimeouts: CoreMetrics.Counter
    private let rateLimited: CoreMetrics.Counter
    private let processCPU: CoreMetrics.Gauge
    private let processMemory: CoreMetrics.Gauge
    private let processStart: CoreMetrics.Gauge
    private let poolSize: CoreMetrics.Gauge

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    /// Sub-millisecond buckets first: a healthy endpoint of this server answers in well under one.
    static let durationBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
        inFlight = Meter(label: "http_server_requests_in_flight", dimensions: [], factory: factory)
        poolWait = Metrics.Timer(label: "db_pool_wait_duration_seconds", dimensions: [], factory: factory)
        poolTimeouts = CoreMetrics.Counter(label: "db_pool_acquire_timeouts_total", dimensions: [], factory: factory)
        databaseRefusals = CoreMetrics.Counter(label: "db_unavailable_refusals_total", dimensions: [], factory: factory)
        requestTimeouts = CoreMetrics.Counter(label: "http_server_request_read_timeouts_total", dimensions: [], factory: factory)
        rateLimited = CoreMetrics.Counter(label: "http_server_rate_limited_total", dimensions: [], factory: factory)
        processCPU = CoreMetrics.Gauge(label: "process_cpu_seconds_total", dimensions: [], factory: factory)
        processMemory = CoreMetrics.Gauge(label: "process_resident_memory_bytes", dimensions: [], factory: factory)
        processStart = CoreMetrics.Gauge(label: "process_start_time_seconds", dimensions: [], factory: factory)
        poolSize = CoreMetrics.Gauge(label: "db_pool_connections_max", dimensions: [], factory: factory)
        if let start = ProcessStatistics.current()?.startTimeSeconds { processStart.record(start) }
    }

    /// The most connections the pool opens (what a pool-size recommendation is compared with).
    func recordPoolSize(_ connections: Int) { poolSize.record(connections) }

    func requestStarted() { inFlight.increment() }
    func requestFinished() { inFlight.decrement() }

    /// One request's duration, by method, route template (not the raw path) and status.
    func recordRequest(method: String, route: String, status: Int, nanoseconds: UInt64) {
        let key = RequestKey(method: method, route: route, status: status)
        let timer = requestTimers.withLock { timers in
            if let timer = timers[key] { return timer }
            let timer = Metrics.Timer(
                label: "http_server_request_duration_seconds",
                dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory)
            timers[key] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(nanoseconds))
    }

    /// One query's duration, by the name the repository gave it.
    func recordQuery(name: StaticString, nanoseconds: UInt64) {
        let label = name.description
        let timer = queryTimers.withLock { timers in
            if let timer = timers[label] { return timer }
            let timer = Metrics.Timer(label: "db_query_duration_seconds", dimensions: [("query", label)], factory: factory)
            timers[label] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(nanoseconds))
    }

    func recordPoolWait(nanoseconds: UInt64) {
        poolWait.recordNanoseconds(Int64(nanoseconds))
    }

    func recordPoolTimeout() {
        poolTimeouts.increment()
    }

    /// A request answered 503 at once because the database was known to be down.
    func recordDatabaseRefusal() {
        databaseRefusals.increment()
    }

    /// A connection closed with a 408 because its request's head or body came too slowly.
    func recordRequestTimeout() {
        requestTimeouts.increment()
    }

    /// A request answered 429 by the rate limiter.
    func recordRateLimited() {
        rateLimited.increment()
    }

    /// The Prometheus text exposition, with the process figures read just now.
    public func render() -> [UInt8] {
        if let statistics = ProcessStatistics.current() {
            processCPU.record(statistics.cpuSeconds)
            processMemory.record(Double(statistics.residentBytes))
        }
        return registry.emitToBuffer()
    }
}
