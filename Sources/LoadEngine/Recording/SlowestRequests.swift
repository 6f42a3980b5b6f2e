import Observability

/// One of the slowest requests of a run, with what the server said about it: the report's exemplars.
public struct Exemplar: Codable, Sendable, Equatable {
    public var requestID: String
    public var endpoint: String
    public var status: Int
    public var error: ErrorKind?
    public var latencyMilliseconds: Double
    public var uncorrectedMilliseconds: Double
    public var serverTiming: ServerTimingRecord?
    /// Seconds from the run's start when it finished.
    public var atSecond: Double
    /// The W3C trace it was sent in (`TraceParent`), for a tracing backend; nil when the run sent none.
    public var traceID: String?

    enum CodingKeys: String, CodingKey {
        case requestID, endpoint, status, error, latencyMilliseconds = "latencyMs", uncorrectedMilliseconds = "uncorrectedLatencyMs"
        case serverTiming, atSecond, traceID
    }
}

/// `Server-Timing` as it goes into a report.
public struct ServerTimingRecord: Codable, Sendable, Equatable {
    public var appMilliseconds: Double
    public var databaseMilliseconds: Double
    public var poolMilliseconds: Double
    public var queries: Int

    init(_ timing: ServerTiming) {
        appMilliseconds = timing.appMilliseconds
        databaseMilliseconds = timing.databaseMilliseconds
        poolMilliseconds = timing.poolMilliseconds
        queries = timing.queryCount
    }

    enum CodingKeys: String, CodingKey {
        case appMilliseconds = "appMs", databaseMilliseconds = "dbMs", poolMilliseconds = "poolMs", queries
    }
}

/// The `capacity` slowest samples seen, kept without sorting every sample: a new one is compared
/// with the fastest kept, and most are faster.
struct SlowestRequests {
    let capacity: Int
    private(set) var kept: [Sample] = []
    private var fastestKeptIndex = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func offer(_ sample: Sample) {
        guard capacity > 0 else { return }
        if kept.count < capacity {
            kept.append(sample)
            if kept.count == capacity { findFastest() }
        } else if sample.correctedMicros > kept[fastestKeptIndex].correctedMicros {
            kept[fastestKeptIndex] = sample
            findFastest()
        }
    }

    mutating func merge(_ other: SlowestRequests) {
        for sample in other.kept { offer(sample) }
    }

    private mutating func findFastest() {
        fastestKeptIndex = kept.indices.min { kept[$0].correctedMicros < kept[$1].correctedMicros } ?? 0
    }

    /// The kept samples as exemplars, slowest first; with their trace IDs when the run sent them.
    func exemplars(runTag: String, endpointNames: [String], traceContext: Bool) -> [Exemplar] {
        kept.sorted { $0.correctedMicros > $1.correctedMicros }.map { sample in
            Exemplar(
                requestID: RequestTemplate.requestID(runTag: runTag, number: sample.requestNumber),
                endpoint: endpointNames[sample.endpoint], status: sample.status, error: sample.error,
                latencyMilliseconds: Double(sample.correctedMicros) / 1000,
                uncorrectedMilliseconds: Double(sample.uncorrectedMicros) / 1000,
                serverTiming: sample.serverTiming.map(ServerTimingRecord.init),
                atSecond: Double(sample.finishedAt) / 1e9,
                traceID: traceContext ? TraceParent.loadTraceID(runTag: runTag, number: sample.journeyNumber ?? sample.requestNumber) : nil)
        }
    }
}
