import Foundation
import Histogram
import Observability

/// What one process recorded of a run (its share, or all of it): every histogram bucket for
/// bucket, every count, each second's window and the slowest requests. It travels as JSON from a
/// worker process to the coordinator, which merges the shares into one result
/// (`LoadRun.result(of:plan:)`) exactly as the event loops of one process are merged.
public struct WorkerRecording: Codable, Sendable {
    var recorder: WorkerRecorder
    /// Each second's window, merged over this process's event loops.
    public var seconds: [SecondWindow]
    public var startedAt: Date
    public var elapsedSeconds: Double
    public var threads: Int
    public var interrupted: Bool
    public var abortReason: String?

    /// Requests finished (answered, failed or timed out).
    public var finishedRequests: Int { recorder.finished }

    /// Client latency (corrected) over every endpoint, as recorded.
    public var corrected: SparseHistogram { SparseHistogram(recorder.corrected) }

    /// Why this recording cannot be a share of `plan` (it came over the network: another plan's
    /// endpoints, a slow request of an endpoint that is not there), or nil when it can.
    public func mismatch(with plan: LoadPlan) -> String? {
        let count = plan.endpoints.count
        if recorder.endpoints.count != count { return "a recording of \(recorder.endpoints.count) endpoints for a plan of \(count)" }
        if recorder.slowest.kept.contains(where: { $0.endpoint < 0 || $0.endpoint >= count }) { return "a slow request of an endpoint the plan does not have" }
        if (recorder.journeys != nil) != (plan.journey != nil) { return plan.journey == nil ? "journeys recorded for a plan without one" : "no journeys recorded for a plan of one" }
        if let journeys = recorder.journeys, journeys.failedAtStep.count != count { return "journeys of \(journeys.failedAtStep.count) steps for a plan of \(count)" }
        return nil
    }
}

extension WorkerRecorder: Codable {
    enum CodingKeys: String, CodingKey {
        case endpoints, statusClasses, slowest, finished, lateness, timerLateness, threadCPUNanos, unsent, cutOffAtEnd, connections
        case rejectedServerTimings, handshakes, tlsFailures, rateLimit, journeys
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let slowest = try container.decode(SlowestRequests.self, forKey: .slowest)
        self.init(endpointCount: 0, exemplars: slowest.capacity)
        self.slowest = slowest
        endpoints = try container.decode([EndpointRecorder].self, forKey: .endpoints)
        statusClasses = try container.decode([SparseHistogram?].self, forKey: .statusClasses).map { $0?.restored(into: .latency()) }
        guard statusClasses.count == 6 else {
            throw DecodingError.dataCorruptedError(forKey: .statusClasses, in: container, debugDescription: "six status classes, got \(statusClasses.count)")
        }
        finished = try container.decodeCount(forKey: .finished)
        lateness = try container.decode(SparseHistogram.self, forKey: .lateness).restored(into: .latency())
        timerLateness = try container.decode(SparseHistogram.self, forKey: .timerLateness).restored(into: .latency())
        threadCPUNanos = try container.decode([UInt64].self, forKey: .threadCPUNanos)
        unsent = try container.decodeCount(forKey: .unsent)
        cutOffAtEnd = try container.decodeCount(forKey: .cutOffAtEnd)
        connections = try container.decode(ConnectionStats.self, forKey: .connections)
        rejectedServerTimings = try container.decodeCount(forKey: .rejectedServerTimings)
        handshakes = try container.decode(SparseHistogram.self, forKey: .handshakes).restored(into: .latency())
        tlsFailures = try container.decode([String: Int].self, forKey: .tlsFailures)
        rateLimit = try container.decodeIfPresent(RateLimitSummary.self, forKey: .rateLimit) ?? RateLimitSummary()
        journeys = try container.decodeIfPresent(JourneyRecorder.self, forKey: .journeys)
    }

    /// Everything but the per-second windows, which `WorkerRecording` carries merged.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(endpoints, forKey: .endpoints)
        try container.encode(statusClasses.map { $0.map(SparseHistogram.init) }, forKey: .statusClasses)
        try container.encode(slowest, forKey: .slowest)
        try container.encode(finished, forKey: .finished)
        try container.encode(SparseHistogram(lateness), forKey: .lateness)
        try container.encode(SparseHistogram(timerLateness), forKey: .timerLateness)
        try container.encode(threadCPUNanos, forKey: .threadCPUNanos)
        try container.encode(unsent, forKey: .unsent)
        try container.encode(cutOffAtEnd, forKey: .cutOffAtEnd)
        try container.encode(connections, forKey: .connections)
        try container.encode(rejectedServerTimings, forKey: .rejectedServerTimings)
        try container.encode(SparseHistogram(handshakes), forKey: .handshakes)
        try container.encode(tlsFailures, forKey: .tlsFailures)
        try container.encode(rateLimit, forKey: .rateLimit)
        try container.encodeIfPresent(journeys, forKey: .journeys)
    }
}

extension EndpointRecorder: Codable {
    enum CodingKeys: String, CodingKey {
        case client, uncorrected, app, database, pool, remainder, queries, requests, withServerTiming, statusClassCounts, errors
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        client = try container.decode(SparseHistogram.self, forKey: .client).restored(into: .latency())
        uncorrected = try container.decode(SparseHistogram.self, forKey: .uncorrected).restored(into: .latency())
        app = try container.decode(SparseHistogram.self, forKey: .app).restored(into: .latency())
        database = try container.decode(SparseHistogram.self, forKey: .database).restored(into: .latency())
        pool = try container.decode(SparseHistogram.self, forKey: .pool).restored(into: .latency())
        remainder = try container.decode(SparseHistogram.self, forKey: .remainder).restored(into: .latency())
        queries = try container.decode(SparseHistogram.self, forKey: .queries).restored(into: .counts())
        requests = try container.decodeCount(forKey: .requests)
        withServerTiming = try container.decodeCount(forKey: .withServerTiming)
        statusClassCounts = try container.decode([Int].self, forKey: .statusClassCounts)
        guard statusClassCounts.count == 6, statusClassCounts.allSatisfy({ (0...largestRecordedCount).contains($0) }) else {
            throw DecodingError.dataCorruptedError(forKey: .statusClassCounts, in: container, debugDescription: "six counts of status classes")
        }
        errors = try container.decode(ErrorCounts.self, forKey: .errors)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(SparseHistogram(client), forKey: .client)
        try container.encode(SparseHistogram(uncorrected), forKey: .uncorrected)
        try container.encode(SparseHistogram(app), forKey: .app)
        try container.encode(SparseHistogram(database), forKey: .database)
        try container.encode(SparseHistogram(pool), forKey: .pool)
        try container.encode(SparseHistogram(remainder), forKey: .remainder)
        try container.encode(SparseHistogram(queries), forKey: .queries)
        try container.encode(requests, forKey: .requests)
        try container.encode(withServerTiming, forKey: .withServerTiming)
        try container.encode(statusClassCounts, forKey: .statusClassCounts)
        try container.encode(errors, forKey: .errors)
    }
}

extension SlowestRequests: Codable {
    enum CodingKeys: String, CodingKey { case capacity, kept }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(capacity: try container.decode(Int.self, forKey: .capacity))
        for sample in try container.decode([Sample].self, forKey: .kept) { offer(sample) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(kept, forKey: .kept)
    }
}


extension SparseHistogram {
    /// The buckets recorded again into `histogram` (empty, of the configuration they came from).
    func restored(into histogram: Histogram<UInt64>) -> Histogram<UInt64> {
        var histogram = histogram
        for index in stride(from: 0, to: pairs.count - 1, by: 2) {
            _ = histogram.record(Swift.min(pairs[index], histogram.highestTrackableValue), count: pairs[index + 1])
        }
        return histogram
    }
}

/// More than any run counts of anything, small enough that no sum of such counts overflows.
let largestRecordedCount = 1 << 40

extension KeyedDecodingContainer {
    /// A count read from a report or another process: refused below zero or beyond any run.
    func decodeCount(forKey key: Key) throws -> Int {
        let value = try decode(Int.self, forKey: key)
        guard (0...largestRecordedCount).contains(value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(value) is not a count of a run")
        }
        return value
    }
}
