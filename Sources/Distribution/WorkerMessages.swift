import Foundation
import LoadEngine

/// What a worker and its coordinator say to each other, as JSON over HTTP (keys as named here:
/// no key conversion, which would also rewrite the keys of dictionaries such as TLS failure reasons). A
/// worker speaks first and only asks; the coordinator answers, and waits to answer when it has
/// nothing yet (an assignment, the start instant).
enum WorkerMessages {
    /// `POST /register`: who the worker is and what it runs. Refused (409) when its version or the
    /// scenario file it read differs from the coordinator's, or its index is out of range or taken.
    struct Registration: Codable, Sendable {
        var worker: Int
        var version: String
        var scenarioDigest: String
        var host: String
    }

    struct Refusal: Codable, Sendable {
        var reason: String
    }

    /// `GET /assignment?worker=I`: the scenario to run now, if any, or the end.
    struct Assignment: Codable, Sendable {
        /// Grows with every scenario run; 0 before the first.
        var run: Int
        /// True when there is nothing more to run: the worker exits.
        var done: Bool
        var scenario: String?
        var scale: Double
        var target: String?
        var runTag: String?
        var shard: LoadPlan.Shard?
        var exemplars: Int
        var http2Streams: Int?
        var requestTimeoutSeconds: Double?
        /// Send `traceparent` (nil: yes).
        var traceContext: Bool?
    }

    /// `POST /ready`: every connection of the worker's share is open. The answer is the instant
    /// (Unix nanoseconds) at which every worker starts its clock.
    struct Ready: Codable, Sendable {
        var worker: Int
        var run: Int
    }

    /// The answer to `ready`: the coordinator's clock as it answered (every answer: from it the
    /// worker learns how far its own clock is from the coordinator's) and, once every worker is
    /// ready, the start instant on the coordinator's clock.
    struct Start: Codable, Sendable {
        var coordinatorNowUnixNanoseconds: Int64
        var startAtUnixNanoseconds: Int64?
    }

    /// `POST /windows`: the seconds that are over since the worker's last report. The answer says
    /// whether to stop (an objective broken on the merged data).
    struct Windows: Codable, Sendable {
        var worker: Int
        var run: Int
        /// Every second before this one is over for the worker (what it sends later is for later seconds).
        var through: Int
        var seconds: [SecondWindow]
    }

    struct WindowsAnswer: Codable, Sendable {
        var stop: String?
    }

    /// `POST /result`: the worker's whole recording, and how late its clock started.
    struct Result: Codable, Sendable {
        var worker: Int
        var run: Int
        var recording: WorkerRecording
        /// Its clock's start minus the agreed instant, nanoseconds (positive: late), on the
        /// coordinator's clock as the worker estimated it.
        var startSkewNanoseconds: Int64
        /// How far the worker's clock was from the coordinator's (worker minus coordinator) and
        /// how sure that estimate is (half the round trip it came from).
        var clockOffsetNanoseconds: Int64
        var clockUncertaintyNanoseconds: Int64
    }

    /// `POST /failed`: the worker could not run its share (the target refused it, a bad plan).
    struct Failure: Codable, Sendable {
        var worker: Int
        var run: Int
        var reason: String
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }()

    /// The wall clock in Unix nanoseconds: what workers on different machines agree on.
    static func unixNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
