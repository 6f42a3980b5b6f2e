import Foundation
import LoadEngine

/// How one objective fared in one hold (or, in the run history, one run).
public struct ObjectiveOutcome: Codable, Sendable, Equatable {
    public var objective: String
    /// Milliseconds or percent; nil when more requests went unfinished than the figure allows
    /// (it lies beyond every answer that came).
    public var actual: Double?
    public var met: Bool

    public init(objective: String, actual: Double?, met: Bool) {
        self.objective = objective
        self.actual = actual
        self.met = met
    }
}

/// A hold's mean client latency and its parts (the means add up: client = waiting + database +
/// pool + handler + outside), the server's weighted over the endpoints by their timed responses.
public struct ComponentMeans: Codable, Sendable, Equatable {
    public var clientMs: Double
    /// Share of the answers that carried `Server-Timing` (0: the parts below are unknown).
    public var timedShare: Double
    public var databaseMs: Double
    public var poolMs: Double
    /// The handler's own time: app − database − pool.
    public var handlerMs: Double
    /// Outside the handler, once sent: network, kernel queues, the server's accept backlog.
    public var outsideMs: Double
    /// Before the send: waiting for one of the engine's connections, each held by a request the
    /// target had not answered (the corrected mean minus the uncorrected one).
    public var waitingMs: Double

    init(clientMs: Double, timedShare: Double, databaseMs: Double, poolMs: Double, handlerMs: Double, outsideMs: Double, waitingMs: Double = 0) {
        self.waitingMs = waitingMs
        self.clientMs = clientMs
        self.timedShare = timedShare
        self.databaseMs = databaseMs
        self.poolMs = poolMs
        self.handlerMs = handlerMs
        self.outsideMs = outsideMs
    }

    public init(_ load: LoadResult) {
        let timed = load.endpoints.reduce(0) { $0 + $1.server.timedResponses }
        func mean(_ part: (ServerSideResult) -> LatencySummary) -> Double {
            guard timed > 0 else { return 0 }
            return load.endpoints.reduce(0) { $0 + part($1.server).mean * Double($1.server.timedResponses) } / Double(timed)
        }
        clientMs = load.latency.mean
        timedShare = load.totalRequests == 0 ? 0 : Double(timed) / Double(load.totalRequests)
        databaseMs = mean(\.database)
        poolMs = mean(\.pool)
        handlerMs = max(0, mean(\.app) - databaseMs - poolMs)
        waitingMs = max(0, load.latency.mean - load.uncorrectedLatency.mean)
        outsideMs = timed > 0 ? mean(\.remainder) : load.uncorrectedLatency.mean
    }
}

/// One hold of the search: a constant arrival rate for `--hold`, and how it went.
public struct CapacityStep: Codable, Sendable, Equatable {
    public var number: Int
    public var phase: CapacitySearch.Phase
    /// The arrival rate asked for (requests per second).
    public var rate: Double
    /// Requests finished per second over the hold and its drain.
    public var achievedRPS: Double
    /// Corrected latency (from each request's intended send time).
    public var latencyMs: LatencySummary
    /// Failed or unfinished requests, percent of those due.
    public var errorPercent: Double
    public var errors: [String: Int]
    public var objectives: [ObjectiveOutcome]
    /// Every objective met, by an engine that kept up.
    public var met: Bool
    public var engineSaturated: Bool
    public var engineWarnings: [String]
    public var means: ComponentMeans
    /// Wall time of the hold, connections and drain included.
    public var seconds: Double
}

/// What gave first: the part of the request's time that grew most from the last good rate to the
/// first bad one, or the load engine itself, with the figures that decided it.
public struct LimitingComponent: Codable, Sendable, Equatable {
    /// pool, database, application, outside the handler (network, queues), server (no
    /// Server-Timing to tell its parts apart), or load engine.
    public var component: String
    public var reason: String
    public var evidence: [String]
}

/// One closed-model step of the concurrency sweep.
public struct SweepStep: Codable, Sendable, Equatable {
    public var users: Int
    public var achievedRPS: Double
    public var latencyMs: LatencySummary
    public var errorPercent: Double
    public var engineSaturated: Bool
}

/// `archmesh capacity`'s answer: the highest arrival rate that met every objective twice, what
/// gave first above it, every hold on the way, and the concurrency sweep with its scalability fit.
public struct CapacityReport: Codable, Sendable {
    public var schemaVersion = 1
    public var target: String
    /// The scenario whose endpoint mix was sent (nil: one URL).
    public var scenario: String?
    public var endpoints: [String]
    public var startedAt: Date
    public var objectives: [ServiceObjective]
    public var holdSeconds: Double
    /// The search stopped when the highest good and lowest bad rates were this close (relative).
    public var resolution: Double
    public var growth: Double
    public var startRate: Double
    public var maxInFlight: Int
    /// The highest sustainable rate: what the server actually finished per second at the highest
    /// rate that met every objective twice (never more than that rate). Nil when refused or when
    /// no rate met the objectives.
    public var maxSustainableRPS: Double?
    /// The arrival rate that met every objective twice.
    public var sustainedRate: Double?
    /// The lowest rate that failed, above the answer.
    public var firstBadRate: Double?
    /// True when the search reached its ceiling (`--max-rate`) without a failure.
    public var atCeiling: Bool
    /// Why no answer is given although the search ran (the load engine was the limit).
    public var refused: String?
    /// Why the search or the sweep stopped before its end (the target stopped accepting connections);
    /// what was measured until then is here, and no answer is given.
    public var stopped: String?
    public var limiting: LimitingComponent?
    public var steps: [CapacityStep]
    public var sweep: [SweepStep]
    public var usl: UniversalScalabilityFit?
    public var searchSeconds: Double
    public var sweepSeconds: Double
}
