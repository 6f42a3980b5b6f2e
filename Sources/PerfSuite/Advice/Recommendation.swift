/// What to change, with the measurement that justifies it: a rule's finding. No recommendation is
/// made without its evidence; each says what triggered it and what to expect.
public struct Recommendation: Codable, Sendable, Equatable {
    /// The rule that made it (`missing_index`, `repeated_statement`, `pool_size`, `round_trips`, `application_time`).
    public var rule: String
    public var title: String
    /// The measurements it rests on, in words with their figures.
    public var evidence: [String]
    /// What to do: a statement to run (`CREATE INDEX ...`), or a change to make.
    public var action: String
    /// What the change should do, from the same figures.
    public var expectedEffect: String
}

/// What the rules read: the report's own figures for one scenario, and the plans taken during it.
public struct AdviceEvidence: Sendable {
    public var breakdown: [TimeBreakdown]
    public var statements: [StatementFigures]
    public var plans: [CapturedPlan]
    /// Requests finished per second over the scenario.
    public var requestsPerSecond: Double
    public var totalRequests: Int
    /// PostgreSQL's highest CPU reading, percent of the machine; nil when not measured.
    public var databaseCPUPercent: Double?
    /// The server's highest CPU reading, percent of the machine; nil when not measured.
    public var serverCPUPercent: Double?
    /// The most connections the server's pool opens, when its `/metrics` says.
    public var poolSize: Int?
    /// With `--profile`: the server's frames with the most samples of their own.
    public var profileTopFrames: [ServerProfile.Frame] = []

    public init(
        breakdown: [TimeBreakdown], statements: [StatementFigures], plans: [CapturedPlan], requestsPerSecond: Double, totalRequests: Int,
        databaseCPUPercent: Double?, serverCPUPercent: Double? = nil, poolSize: Int? = nil
    ) {
        self.serverCPUPercent = serverCPUPercent
        self.poolSize = poolSize
        self.breakdown = breakdown
        self.statements = statements
        self.plans = plans
        self.requestsPerSecond = requestsPerSecond
        self.totalRequests = totalRequests
        self.databaseCPUPercent = databaseCPUPercent
    }
}
