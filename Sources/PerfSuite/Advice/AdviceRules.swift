import Foundation

/// The rules, each with its trigger stated where it is written. They read a scenario's evidence
/// and return what they found, or nothing; a rule that cannot see its evidence stays silent.
public enum AdviceRules {
    /// Every rule, in the order the report lists their findings.
    public static func recommendations(_ evidence: AdviceEvidence) -> [Recommendation] {
        missingIndex(evidence) + repeatedStatement(evidence) + poolSize(evidence) + roundTrips(evidence) + applicationTime(evidence)
    }

    static func format(_ value: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", value) }
    static func count(_ value: Double) -> String { String(Int(value.rounded())) }

    /// The statements' whole database time during the scenario.
    static func databaseMilliseconds(_ evidence: AdviceEvidence) -> Double { evidence.statements.reduce(0) { $0 + $1.totalMilliseconds } }

    // MARK: missing_index

    /// Trigger: in a plan of a hot statement (at least 10% of the scenario's database time), a scan
    /// (sequential, or of another index in its order, as for an `ORDER BY ... LIMIT`) that read at
    /// least 10,000 rows per execution and kept at most a tenth of them through a filter on a
    /// column. Action: an index on that column (a trigram index for a `LIKE`/`ILIKE` with a leading
    /// wildcard).
    static let scans: Set<String> = ["Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"]
    static let indexRowsRead = 10_000.0
    static let indexKeptShare = 0.1
    static let hotShare = 0.1

    static func missingIndex(_ evidence: AdviceEvidence) -> [Recommendation] {
        let total = max(databaseMilliseconds(evidence), 1e-9)
        var found: [Recommendation] = []
        var seen = Set<String>()
        for plan in evidence.plans {
            let shape = StatementShape.of(plan.query)
            guard let statement = evidence.statements.first(where: { StatementShape.of($0.query) == shape }), statement.totalMilliseconds / total >= hotShare
            else { continue }
            let text = statement.singleLineQuery
            for (node, _) in plan.root.flattened() where scans.contains(node.nodeType) {
                guard let relation = node.relation, let filter = node.filter, let column = filteredColumn(filter) else { continue }
                // Per execution of the statement: all the node's loops.
                let read = node.rowsRead, kept = node.actualRows * node.loops
                guard read >= indexRowsRead, kept <= read * indexKeptShare else { continue }
                let pattern = filter.contains("~~")
                let action = pattern
                    ? "CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE INDEX ON \(relation) USING gin (\(column) gin_trgm_ops);"
                    : "CREATE INDEX ON \(relation) (\(column));"
                guard seen.insert(action).inserted else { continue }
                found.append(Recommendation(
                    rule: "missing_index", title: "Index \(relation).\(column)",
                    evidence: [
                        "\(node.nodeType == "Seq Scan" ? "a sequential scan" : "a scan (\(node.nodeType)\(node.index.map { " using \($0)" } ?? ""))") of \(relation) read \(count(read)) rows to keep \(count(kept)) per execution (filter \(filter))",
                        "in a statement run \(statement.calls) times for \(format(statement.totalMilliseconds)) ms, \(format(statement.totalMilliseconds / total * 100))% of the scenario's database time: \(String(text.prefix(160)))",
                        String(format: "that scan took %.3f ms of the execution's %.3f ms", node.actualTotalMilliseconds * node.loops, plan.durationMilliseconds),
                    ],
                    action: action,
                    expectedEffect: "an index scan reads about the \(count(kept)) rows it keeps instead of \(count(read)); the statement's \(format(statement.meanMilliseconds, 3)) ms mean should fall with the rows read"))
            }
        }
        return found
    }

    /// The column a filter compares first: `(project_id = $1)`, `((status)::text = 'x'::text)`,
    /// `(name ~~* '%x%'::text)`; nil when it names none.
    static func filteredColumn(_ filter: String) -> String? {
        // The first name compared by an operator: a name, maybe closed by `)` and cast (`(status)::text`), then the operator.
        let pattern = #"([A-Za-z_][A-Za-z0-9_.]*)\)?(?:::[A-Za-z_ ]+?)?\s*(?:=|<>|<=|>=|<|>|!?~~\*?|@@)"#
        guard let match = filter.range(of: pattern, options: .regularExpression) else { return nil }
        let name = filter[match].prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        let column = name.split(separator: ".").last.map(String.init) ?? String(name)
        return ["AND", "OR", "NOT", "IS", "NULL", "ANY"].contains(column.uppercased()) ? nil : column
    }

    // MARK: repeated_statement

    /// Trigger: an endpoint that runs at least 3 queries per request, and a statement run at least
    /// 3 times per request of the scenario (the N+1 shape: one query per item of a list).
    static let repeatsPerRequest = 3.0

    static func repeatedStatement(_ evidence: AdviceEvidence) -> [Recommendation] {
        guard evidence.totalRequests > 0 else { return [] }
        let heavy = evidence.breakdown.filter { $0.queriesPerRequest >= repeatsPerRequest && $0.timedResponses > 0 }
        guard !heavy.isEmpty else { return [] }
        return evidence.statements.compactMap { statement -> Recommendation? in
            let perRequest = Double(statement.calls) / Double(evidence.totalRequests)
            guard perRequest >= repeatsPerRequest else { return nil }
            let endpoints = heavy.map { "\($0.endpoint): \(format($0.queriesPerRequest)) queries per request" }
            return Recommendation(
                rule: "repeated_statement", title: "One statement many times per request",
                evidence: endpoints + [
                    "\(String(statement.singleLineQuery.prefix(160))) ran \(statement.calls) times for \(evidence.totalRequests) requests: \(format(perRequest)) per request, \(format(statement.meanMilliseconds, 3)) ms each in PostgreSQL",
                ],
                action: "fetch the rows in one statement (a join, or WHERE id = ANY($1)) instead of one statement per item",
                expectedEffect: "about \(format(perRequest - 1)) fewer round trips per request; each costs its execution and a round trip (see the endpoint's db time)")
        }
    }

    // MARK: pool_size

    /// Trigger: requests wait for a connection (pool mean at least 20% of the client mean, or pool
    /// p95 at least half the client p95) while PostgreSQL is not busy (its CPU under half the
    /// machine, or not measured), and the pool is smaller than the size Little's law gives from the
    /// measured rate and hold time with half again for bursts (or its size is not known). A pool
    /// already that large is not the cause: the waits come from elsewhere (a busy server process,
    /// bursts). Action: that size.
    static let poolWaitShare = 0.2
    static let busyDatabasePercent = 50.0

    static func poolSize(_ evidence: AdviceEvidence) -> [Recommendation] {
        if let cpu = evidence.databaseCPUPercent, cpu >= busyDatabasePercent { return [] }
        let timed = evidence.breakdown.filter { $0.timedResponses > 0 }
        let waiting = timed.filter { $0.pool.mean >= poolWaitShare * $0.client.mean || $0.pool.p95 >= 0.5 * $0.client.p95 }
        guard !waiting.isEmpty, evidence.totalRequests > 0 else { return [] }
        // Little's law: connections in use = arrival rate x time each is held (the database time of a request).
        let requests = Double(timed.reduce(0) { $0 + $1.requests })
        let hold = timed.reduce(0) { $0 + $1.database.mean * Double($1.requests) } / max(requests, 1) / 1000
        let busy = evidence.requestsPerSecond * hold
        let size = max(2, Int((busy * 1.5).rounded(.up)))
        if let current = evidence.poolSize, current >= size { return [] }
        return [Recommendation(
            rule: "pool_size", title: "Connections are waited for while the database is not busy",
            evidence: waiting.map { "\($0.endpoint): pool wait mean \(format($0.pool.mean, 2)) ms of a \(format($0.client.mean, 2)) ms request, p95 \(format($0.pool.p95, 2)) of \(format($0.client.p95, 2)) ms" }
                + [
                    "PostgreSQL's CPU " + (evidence.databaseCPUPercent.map { "peaked at \(format($0))% of the machine" } ?? "was not measured"),
                    "Little's law: \(format(evidence.requestsPerSecond)) requests/s x \(format(hold * 1000, 2)) ms of database time each = \(format(busy, 2)) connections busy on average",
                    evidence.poolSize.map { "the pool opens at most \($0) connections (db_pool_connections_max)" } ?? "the pool's size is not known (no db_pool_connections_max in the server's /metrics)",
                ],
            action: "a pool of at least \(size) connections (\(format(busy, 2)) busy on average, half again for bursts), or fewer concurrent requests per connection",
            expectedEffect: "the pool wait (\(format(waiting.map(\.pool.mean).max() ?? 0, 2)) ms mean) should fall toward zero while the database keeps up")]
    }

    // MARK: round_trips

    /// Trigger: the database is the largest part of the requests' time (the breakdown's verdict),
    /// yet PostgreSQL's own execution time (`pg_stat_statements`) is under half the time the
    /// server measured waiting for it. Then round trips, the driver and scheduling are the cost.
    static let executionShare = 0.5

    static func roundTrips(_ evidence: AdviceEvidence) -> [Recommendation] {
        let timed = evidence.breakdown.filter { $0.timedResponses > 0 }
        guard !timed.isEmpty, !evidence.statements.isEmpty else { return [] }
        let serverDatabase = timed.reduce(0) { $0 + $1.database.mean * Double($1.timedResponses) }
        let executed = databaseMilliseconds(evidence)
        let databaseBound = timed.contains { $0.verdict.component == .database }
        guard databaseBound, serverDatabase > 0, executed < executionShare * serverDatabase else { return [] }
        return [Recommendation(
            rule: "round_trips", title: "The database's wait is mostly round trips, not execution",
            evidence: [
                "the server waited \(format(serverDatabase)) ms for PostgreSQL over the scenario (Server-Timing db)",
                "PostgreSQL executed the statements in \(format(executed)) ms (pg_stat_statements): \(format(executed / serverDatabase * 100))% of that wait",
            ] + timed.filter { $0.verdict.component == .database }.map { "\($0.endpoint): the database is \(format($0.database.mean / max($0.client.mean, 1e-9) * 100))% of the mean request" }
                + [cpuLine(evidence)],
            action: "cut round trips: fewer statements per request, statements prepared once, pipelined queries; check the network and the driver between server and database, and whether the processes wait for a core (the CPU figures)",
            expectedEffect: "up to \(format((serverDatabase - executed) / Double(max(evidence.totalRequests, 1)), 3)) ms per request, the part of the wait PostgreSQL did not spend executing")]
    }

    /// The machine's CPU as the scenario measured it, for the rules whose cause may be a busy machine.
    static func cpuLine(_ evidence: AdviceEvidence) -> String {
        let server = evidence.serverCPUPercent.map { "\(format($0))%" } ?? "not measured"
        let database = evidence.databaseCPUPercent.map { "\(format($0))%" } ?? "not measured"
        return "CPU, highest readings as a share of the machine: the server \(server), PostgreSQL \(database)"
    }

    // MARK: application_time

    /// Trigger: the handler's own time (app minus db and pool) is at least half of an endpoint's mean client latency.
    static let applicationShare = 0.5

    static func applicationTime(_ evidence: AdviceEvidence) -> [Recommendation] {
        evidence.breakdown.filter { $0.timedResponses > 0 }.compactMap { endpoint -> Recommendation? in
            let own = endpoint.app.mean - endpoint.database.mean - endpoint.pool.mean
            guard endpoint.client.mean > 0, own >= applicationShare * endpoint.client.mean else { return nil }
            let frames = evidence.profileTopFrames.prefix(5).map { "\($0.name) \(format($0.percent))%" }
            return Recommendation(
                rule: "application_time", title: "\(endpoint.endpoint): the handler's own time dominates",
                evidence: ["the handler spent \(format(own, 2)) ms of its \(format(endpoint.app.mean, 2)) ms outside the database and the pool, \(format(own / endpoint.client.mean * 100))% of the \(format(endpoint.client.mean, 2)) ms mean request"]
                    + (frames.isEmpty ? [] : ["the server's profile, frames with the most samples of their own: " + frames.joined(separator: "; ")]),
                action: frames.isEmpty
                    ? "profile the server under this load (archmesh run --profile, or perf record -g on its process) and work on its top frames"
                    : "work on the profile's top frames (the flame graph shows who calls them)",
                expectedEffect: "at most the \(format(own, 2)) ms the handler spends on its own")
        }
    }
}
