import LoadEngine

/// Three counts that must agree, each from its own witness: requests the client sent and got answers
/// to against requests the server counted; queries the server reported in `Server-Timing` against
/// queries the server's metrics counted and the database's `pg_stat_statements` calls.
public struct Reconciliation: Codable, Sendable, Equatable {
    /// Requests the client finished (answered or failed).
    public var clientRequests: Int
    /// Of those, requests that got an HTTP response.
    public var clientAnswered: Int
    /// Requests the server counted in `/metrics` over the scenario; nil when it was not readable.
    public var serverRequests: Int?
    /// The sum of `dbq` over the responses' `Server-Timing` headers.
    public var serverReportedQueries: Int
    /// Queries in the server's `db_query_duration_seconds` count.
    public var serverCountedQueries: Int?
    /// Calls in `pg_stat_statements` for the server's database.
    public var databaseQueries: Int?
    /// True when every pair that could be compared agrees (see `notes` for those that could not).
    public var agrees: Bool
    /// Each disagreement, or each count that could not be read, in words.
    public var findings: [String]
    /// Pairs left uncompared, and why (failed requests make some counts legitimately differ).
    public var notes: [String]

    public init(load: LoadResult, server: ServerCounters?, databaseQueries: Int?) {
        clientRequests = load.totalRequests
        clientAnswered = load.totalRequests - load.errors.transport
        serverRequests = server?.requests
        serverReportedQueries = load.endpoints.reduce(0) { $0 + Int(($1.server.queriesPerRequest * Double($1.server.timedResponses)).rounded()) }
        serverCountedQueries = server?.queries
        self.databaseQueries = databaseQueries
        var findings: [String] = []
        var notes: [String] = []
        // A request the client gave up on may still have run its queries on the server, without a
        // Server-Timing header reaching the client; a query that failed is counted by the server's
        // metrics but not by pg_stat_statements. With such failures those pairs cannot agree exactly.
        let transportFailures = load.errors.transport
        if let serverRequests {
            // A request that timed out on the client may still have been answered by the server.
            let lowest = clientAnswered, highest = clientRequests
            if serverRequests < lowest || serverRequests > highest {
                findings.append(
                    "the server counted \(serverRequests) requests; the client got \(clientAnswered) answers"
                        + (highest > lowest ? " of \(clientRequests) requests" : ""))
            }
        } else {
            notes.append("the server's request count was not readable from /metrics: not compared")
        }
        let timedAll = load.endpoints.allSatisfy { $0.server.timedResponses == $0.requests - $0.errors.transport }
        if let serverCountedQueries {
            if transportFailures > 0 || !timedAll {
                notes.append("queries in Server-Timing against the server's metrics not compared: \(transportFailures) requests got no answer")
            } else if serverCountedQueries != serverReportedQueries {
                findings.append("the server's metrics counted \(serverCountedQueries) queries; its Server-Timing headers reported \(serverReportedQueries)")
            }
        }
        if let databaseQueries {
            let reference = serverCountedQueries ?? serverReportedQueries
            if load.failedRequests > 0 {
                notes.append(
                    "PostgreSQL's \(databaseQueries) statements against the server's \(reference) queries not compared: "
                        + "\(load.failedRequests) requests failed, and a failed query is not in pg_stat_statements")
            } else if databaseQueries != reference {
                findings.append("PostgreSQL ran \(databaseQueries) statements; the server reported \(reference) queries")
            }
        } else {
            notes.append("pg_stat_statements was not readable (no DATABASE_URL for a --target, or the extension is missing): the database's count is not compared")
        }
        agrees = findings.isEmpty
        self.findings = findings
        self.notes = notes
    }
}
