import Foundation

/// What the dashboard page shows, served as JSON (snake-case keys) and redrawn by the page each second.
struct DashboardState: Codable, Sendable {
    enum Status: String, Codable, Sendable { case running, finished, interrupted }

    /// The command that runs (`archmesh run`, `archmesh load`, `archmesh capacity`).
    var command: String
    var target: String
    var status: Status
    /// Grows with every change, so a reader can tell two states apart.
    var sequence: Int
    var startedAt: Date
    var elapsedSeconds: Double
    /// What the command will run, by key (scenarios; a load; capacity holds as they come).
    var planned: [String]
    var current: Unit?
    var finished: [FinishedUnit]
    /// True once the final report can be fetched from `/report`.
    var reportReady: Bool

    /// The scenario (or load, or capacity hold) that runs now.
    struct Unit: Codable, Sendable {
        var key: String
        var title: String
        var detail: String
        /// "preparing" (its dataset is being made) or "running".
        var phase: String
        var elapsedSeconds: Double
        /// Seconds it is planned to run, or requests it will send (closed model with a count); nil when neither is known.
        var plannedSeconds: Double?
        var plannedRequests: Int?
        /// 0 to 100 when the plan gives an end.
        var progressPercent: Double?
        /// Requests and failures in the seconds that are over.
        var requests: Int
        var failures: Int
        /// Client latency so far (corrected), milliseconds.
        var latency: Percentiles
        /// One point per second that is over (the last `DashboardFeed.keptSeconds`).
        var seconds: [SecondPoint]
        /// CPU and memory of the server and PostgreSQL, one series each (the last `DashboardFeed.keptSeconds` of readings).
        var resources: [ResourceTrace]
        /// Thresholds and objectives on the figures so far.
        var checks: [Check]
    }

    struct Percentiles: Codable, Sendable {
        var p50: Double
        var p95: Double
        var p99: Double
    }

    /// One second of the run.
    struct SecondPoint: Codable, Sendable {
        var second: Int
        var requests: Int
        var failures: Int
        var p50: Double?
        var p95: Double?
        var p99: Double?
        /// The server's own means (milliseconds) over the responses that carried `Server-Timing`; nil when none did.
        var app: Double?
        var db: Double?
        var pool: Double?
    }

    struct ResourceTrace: Codable, Sendable {
        var process: String
        /// Seconds from the start of the unit's resource monitor (started with its load), CPU as a
        /// share of the machine (%), resident memory (MiB).
        var readings: [[Double]]
        var cpuPercent: Double
        var memoryMB: Double
    }

    /// A limit or objective and where it stands.
    struct Check: Codable, Sendable {
        var name: String
        var limit: String
        var actual: String?
        /// "held", "broken" or "pending" (nothing measured yet).
        var state: String
    }

    struct FinishedUnit: Codable, Sendable {
        var key: String
        var title: String
        var passed: Bool
        var requests: Int
        var requestsPerSecond: Double
        var p95: Double
        var errorRatePercent: Double
        /// Broken limits and other notes, one line each.
        var notes: [String]
    }
}
