import LoadEngine

/// A `database` scenario's finding: the API's throughput next to its database's for the same
/// statements at the same concurrency, as a ratio. The database's figure is statements a second
/// from pgbench, turned into requests' worth by the statements a request ran.
public struct DatabaseComparison: Codable, Sendable, Equatable {
    /// Answers without an error a second, in the API's part of the scenario.
    public var apiRequestsPerSecond: Double
    /// Of the statements replayed, how many a request ran.
    public var statementsPerRequest: Double
    /// The share of the database's execution time in the API's part that the replayed statements took.
    public var replayedShare: Double
    /// pgbench's connections (the scenario's users, or the server's pool when that is smaller: the
    /// most statements the API had running at once) and seconds (the API part's).
    public var clients: Int
    public var seconds: Int
    /// Every statement the API ran, replayed or left out with the reason.
    public var statements: [ReplayedStatement]
    /// The command that ran (its scripts and values by count).
    public var command: String?
    /// pgbench's figures, when it ran.
    public var databaseStatementsPerSecond: Double?
    public var databaseLatencyMilliseconds: Double?
    public var transactions: Int?
    public var failedTransactions: Int?
    /// A pgbench client's error, when one was stopped by it.
    public var aborted: String?
    /// Why the database's figure is missing.
    public var failure: String?
    /// `database: {min_ratio: ...}`: the least API / database ratio that passes.
    public var minRatio: Double?

    public init(apiRequestsPerSecond: Double, workload: ReplayWorkload, clients: Int, seconds: Int, minRatio: Double?) {
        self.apiRequestsPerSecond = apiRequestsPerSecond
        self.statementsPerRequest = workload.statementsPerRequest
        self.replayedShare = workload.replayedShare
        self.clients = clients
        self.seconds = seconds
        self.statements = workload.statements
        self.minRatio = minRatio
    }

    /// The database's throughput in requests' worth a second: its statements a second over the
    /// statements a request ran.
    public var databaseRequestsPerSecond: Double? {
        guard let perSecond = databaseStatementsPerSecond, statementsPerRequest > 0 else { return nil }
        return perSecond / statementsPerRequest
    }

    /// The API's throughput over its database's for the same work (1: the API runs as fast as its
    /// database lets it).
    public var ratio: Double? {
        guard let database = databaseRequestsPerSecond, database > 0 else { return nil }
        return apiRequestsPerSecond / database
    }

    /// The least share of the database's time the replay must cover for its ratio to stand for the API's work.
    public static let leastReplayedShare = 0.5

    /// Why the ratio is missing or does not stand for the API's work, each as a metric and a message.
    public var problems: [(metric: String, actual: Double, message: String)] {
        if let failure { return [("database_replay", 0, "The database's throughput was not measured: \(failure)")] }
        var problems: [(metric: String, actual: Double, message: String)] = []
        if let aborted { problems.append(("database_replay", 1, "pgbench stopped a client on an error, its figures are partial: \(aborted)")) }
        if let failed = failedTransactions, failed > 0 {
            problems.append(("database_replay_failed", Double(failed), "\(failed) of the replayed statements failed"))
        }
        if replayedShare < Self.leastReplayedShare {
            problems.append((
                "database_replayed_share", replayedShare,
                "The replayed statements took \(LoadSummaryText.format(replayedShare * 100, 0))% of the database's time in the API's part; "
                    + "the rest was left out (each statement's reason is listed), so the ratio is not the API's"))
        }
        return problems
    }

    /// What fails the scenario, when it is judged (`minRatio`): a ratio below it, or one that could
    /// not be measured for the API's work. Without `minRatio` the comparison is reported, not
    /// judged, and its problems are the scenario's notes.
    public var violations: [ThresholdViolation] {
        // An API that answered nothing without an error fails, judged or not: that is the API's fault, not the replay's.
        guard apiRequestsPerSecond > 0 else {
            return [ThresholdViolation(metric: "api_requests_per_second", limit: 0, actual: 0, message: "The API answered no request without an error")]
        }
        guard let minRatio else { return [] }
        var violations = problems.map { ThresholdViolation(metric: $0.metric, limit: 0, actual: $0.actual, message: $0.message) }
        if violations.isEmpty, ratio == nil {
            violations.append(ThresholdViolation(metric: "api_vs_database_ratio", limit: minRatio, actual: 0, message: "The ratio was not measured: pgbench completed no statement"))
        }
        if let ratio, ratio < minRatio {
            violations.append(ThresholdViolation(
                metric: "api_vs_database_ratio", limit: minRatio, actual: ratio,
                message: "The API ran at \(LoadSummaryText.format(ratio, 2))x its database's throughput for the same statements, below \(LoadSummaryText.format(minRatio, 2))x"))
        }
        return violations
    }

    enum CodingKeys: String, CodingKey {
        case apiRequestsPerSecond, statementsPerRequest, replayedShare, clients, seconds, statements, command, databaseStatementsPerSecond
        case databaseLatencyMilliseconds = "databaseLatencyMs", transactions, failedTransactions, aborted, failure, minRatio
        case databaseRequestsPerSecond, ratio
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(apiRequestsPerSecond, forKey: .apiRequestsPerSecond)
        try container.encode(statementsPerRequest, forKey: .statementsPerRequest)
        try container.encode(replayedShare, forKey: .replayedShare)
        try container.encode(clients, forKey: .clients)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(statements, forKey: .statements)
        try container.encodeIfPresent(command, forKey: .command)
        try container.encodeIfPresent(databaseStatementsPerSecond, forKey: .databaseStatementsPerSecond)
        try container.encodeIfPresent(databaseLatencyMilliseconds, forKey: .databaseLatencyMilliseconds)
        try container.encodeIfPresent(transactions, forKey: .transactions)
        try container.encodeIfPresent(failedTransactions, forKey: .failedTransactions)
        try container.encodeIfPresent(aborted, forKey: .aborted)
        try container.encodeIfPresent(failure, forKey: .failure)
        try container.encodeIfPresent(minRatio, forKey: .minRatio)
        // Derived, written for readers of the JSON; read back from the figures above.
        try container.encodeIfPresent(databaseRequestsPerSecond, forKey: .databaseRequestsPerSecond)
        try container.encodeIfPresent(ratio, forKey: .ratio)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiRequestsPerSecond = try container.decode(Double.self, forKey: .apiRequestsPerSecond)
        statementsPerRequest = try container.decode(Double.self, forKey: .statementsPerRequest)
        replayedShare = try container.decode(Double.self, forKey: .replayedShare)
        clients = try container.decode(Int.self, forKey: .clients)
        seconds = try container.decode(Int.self, forKey: .seconds)
        statements = try container.decode([ReplayedStatement].self, forKey: .statements)
        command = try container.decodeIfPresent(String.self, forKey: .command)
        databaseStatementsPerSecond = try container.decodeIfPresent(Double.self, forKey: .databaseStatementsPerSecond)
        databaseLatencyMilliseconds = try container.decodeIfPresent(Double.self, forKey: .databaseLatencyMilliseconds)
        transactions = try container.decodeIfPresent(Int.self, forKey: .transactions)
        failedTransactions = try container.decodeIfPresent(Int.self, forKey: .failedTransactions)
        aborted = try container.decodeIfPresent(String.self, forKey: .aborted)
        failure = try container.decodeIfPresent(String.self, forKey: .failure)
        minRatio = try container.decodeIfPresent(Double.self, forKey: .minRatio)
    }
}
