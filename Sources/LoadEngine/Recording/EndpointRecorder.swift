import Histogram
import Observability

/// Everything recorded for one endpoint (endpoint): client latency beside the server's own
/// account of each request, all as histograms.
struct EndpointRecorder {
    var client = LatencyHistogram.latency()
    var uncorrected = LatencyHistogram.latency()
    var app = LatencyHistogram.latency()
    var database = LatencyHistogram.latency()
    var pool = LatencyHistogram.latency()
    /// Client latency minus the server's handler time: network, kernel and queueing, per request.
    var remainder = LatencyHistogram.latency()
    var queries = LatencyHistogram.counts()
    var requests = 0
    var withServerTiming = 0
    /// Responses by status class: index 1 for 1xx ... 5 for 5xx (0 for anything else).
    var statusClassCounts = [Int](repeating: 0, count: 6)
    var errors = ErrorCounts()

    mutating func record(_ sample: Sample) {
        requests += 1
        if let error = sample.error { errors.add(error) }
        if sample.status > 0 {
            statusClassCounts[StatusClass.index(of: sample.status)] += 1
        }
        // A transport failure has no response to time; a timeout's latency is the timeout itself.
        guard sample.status > 0 || sample.error == .timeout else { return }
        client.recordClamped(sample.correctedMicros)
        uncorrected.recordClamped(sample.uncorrectedMicros)
        if let timing = sample.serverTiming {
            withServerTiming += 1
            let appMicros = LatencyHistogram.micros(fromMilliseconds: timing.appMilliseconds)
            app.recordClamped(appMicros)
            database.recordClamped(LatencyHistogram.micros(fromMilliseconds: timing.databaseMilliseconds))
            pool.recordClamped(LatencyHistogram.micros(fromMilliseconds: timing.poolMilliseconds))
            queries.recordClamped(UInt64(clamping: timing.queryCount) &+ 1)  // +1: the histogram starts at 1; subtracted when read
            remainder.recordClamped(sample.uncorrectedMicros > appMicros ? sample.uncorrectedMicros - appMicros : 0)
        }
    }

    mutating func merge(_ other: EndpointRecorder) {
        client.add(other.client)
        uncorrected.add(other.uncorrected)
        app.add(other.app)
        database.add(other.database)
        pool.add(other.pool)
        remainder.add(other.remainder)
        queries.add(other.queries)
        requests += other.requests
        withServerTiming += other.withServerTiming
        for index in statusClassCounts.indices { statusClassCounts[index] += other.statusClassCounts[index] }
        errors.merge(other.errors)
    }
}

/// Status classes by index, so that counting one costs no string.
enum StatusClass {
    static func index(of status: Int) -> Int {
        (1...5).contains(status / 100) ? status / 100 : 0
    }

    static func name(_ index: Int) -> String {
        index == 0 ? "other" : "\(index)xx"
    }

    /// Non-zero entries as `["2xx": n, ...]`.
    static func named<Value>(_ values: [Value?]) -> [String: Value] {
        var named: [String: Value] = [:]
        for (index, value) in values.enumerated() { if let value { named[name(index)] = value } }
        return named
    }
}
