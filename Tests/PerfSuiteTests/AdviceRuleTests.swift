@testable import PerfSuite
import Testing

/// Each recommendation rule on constructed evidence: it fires on its cause, with the figures, and
/// stays silent without it. (The missing-index rule is also proven on a real server, in
/// PerformanceTests' `AdviceTests`.)
@Suite("Recommendation rules")
struct AdviceRuleTests {
    static func quantiles(_ mean: Double, p95: Double? = nil) -> Quantiles {
        Quantiles(mean: mean, p50: mean, p95: p95 ?? mean * 1.5, p99: mean * 2, max: mean * 3)
    }

    static func endpoint(
        _ name: String = "GET /x", requests: Int = 1000, client: Double, app: Double, database: Double, pool: Double = 0, queries: Double = 1,
        verdict: BottleneckVerdict.Component = .database
    ) -> TimeBreakdown {
        TimeBreakdown(
            endpoint: name, requests: requests, timedResponses: requests, client: quantiles(client), app: quantiles(app),
            database: quantiles(database), pool: quantiles(pool), remainder: quantiles(client - app), queriesPerRequest: queries,
            verdict: BottleneckVerdict(component: verdict, rule: "", evidence: [], shares: [:]))
    }

    static func statement(_ query: String, calls: Int, total: Double) -> StatementFigures {
        StatementFigures(query: query, calls: calls, totalMilliseconds: total, meanMilliseconds: total / Double(calls), rows: calls)
    }

    static func evidence(
        _ breakdown: [TimeBreakdown], _ statements: [StatementFigures], plans: [CapturedPlan] = [], rate: Double = 500, cpu: Double? = 20
    ) -> AdviceEvidence {
        AdviceEvidence(
            breakdown: breakdown, statements: statements, plans: plans, requestsPerSecond: rate,
            totalRequests: breakdown.reduce(0) { $0 + $1.requests }, databaseCPUPercent: cpu)
    }

    /// A log as PostgreSQL writes it with `log_line_prefix = '%m [%p] %d '` and auto_explain's JSON.
    static func log(database: String, scanType: String, removed: Int, rows: Int = 0) -> String {
        let node = scanType == "Seq Scan"
            ? #""Node Type": "Seq Scan", "Relation Name": "workflow_sessions", "Filter": "(project_id = $1)", "Rows Removed by Filter": \#(removed),"#
            : #""Node Type": "Index Scan", "Relation Name": "workflow_sessions", "Index Name": "workflow_sessions_project_idx", "Index Cond": "(project_id = $1)","#
        return """
            2026-11-26 10:00:00.000 UTC [42] other LOG:  duration: 9.000 ms  plan:
            \t{"Query Text": "SELECT 1", "Plan": {"Node Type": "Result", "Actual Rows": 1, "Actual Loops": 1, "Actual Total Time": 0.01}}
            2026-11-26 10:00:00.100 UTC [43] \(database) LOG:  duration: 12.500 ms  plan:
            \t{
            \t  "Query Text": "SELECT id FROM workflow_sessions WHERE project_id = $1 ORDER BY started_at DESC LIMIT 20",
            \t  "Plan": {
            \t    "Node Type": "Limit", "Actual Rows": \(rows), "Actual Loops": 1, "Actual Total Time": 12.4, "Plan Rows": 1,
            \t    "Plans": [
            \t      {"Node Type": "Sort", "Actual Rows": \(rows), "Actual Loops": 1, "Actual Total Time": 12.3, "Plan Rows": 1,
            \t       "Plans": [{\(node) "Actual Rows": \(rows), "Actual Loops": 1, "Actual Total Time": 12.0, "Plan Rows": 1, "Shared Hit Blocks": 900}]}
            \t    ]
            \t  }
            \t}
            2026-11-26 10:00:00.200 UTC [43] \(database) LOG:  statement: something else
            """
    }

    static let hot = statement("SELECT id FROM workflow_sessions WHERE project_id = $1 ORDER BY started_at DESC LIMIT 20", calls: 400, total: 4800)

    @Test("the plan log is read for one database, its tree kept and the scan that took the time marked")
    func planLog() throws {
        let plans = PlanLog.plans(in: Substring(Self.log(database: "perf_a", scanType: "Seq Scan", removed: 100_000)), database: "perf_a")
        let plan = try #require(plans.first)
        #expect(plans.count == 1, "the other database's plan is not ours")
        #expect(plan.durationMilliseconds == 12.5)
        #expect(plan.root.flattened().map(\.node.nodeType) == ["Limit", "Sort", "Seq Scan"])
        #expect(plan.dominant == [2], "the scan took 12.0 of the plan's 12.4 ms")
        #expect(plan.treeLines[2].hasPrefix("    -> Seq Scan on workflow_sessions: 0 rows of 100000 read"), "\(plan.treeLines)")
        #expect(plan.treeLines[2].contains("<- 97% of the plan's time"), "\(plan.treeLines)")
        #expect(PlanLog.plans(in: "garbage\n\t{not json\n", database: "perf_a").isEmpty)
    }

    @Test("missing_index: a scan that reads a table to keep a few rows, in a hot statement; not with the index, not in a cold statement")
    func missingIndex() throws {
        let scan = PlanLog.plans(in: Substring(Self.log(database: "d", scanType: "Seq Scan", removed: 100_000)), database: "d")
        let endpoint = Self.endpoint(client: 15, app: 13, database: 12)
        let found = AdviceRules.recommendations(Self.evidence([endpoint], [Self.hot], plans: scan)).filter { $0.rule == "missing_index" }
        let recommendation = try #require(found.first)
        #expect(found.count == 1)
        #expect(recommendation.action == "CREATE INDEX ON workflow_sessions (project_id);")
        #expect(recommendation.evidence[0].contains("read 100000 rows to keep 0"), "\(recommendation.evidence)")
        #expect(recommendation.evidence[1].contains("400 times"))
        let walked = Self.log(database: "d", scanType: "Seq Scan", removed: 100_000)
            .replacingOccurrences(of: #""Node Type": "Seq Scan","#, with: #""Node Type": "Index Scan", "Index Name": "workflow_sessions_started_at_idx","#)
        let other = try #require(AdviceRules.missingIndex(Self.evidence([endpoint], [Self.hot], plans: PlanLog.plans(in: Substring(walked), database: "d"))).first)
        #expect(other.action == "CREATE INDEX ON workflow_sessions (project_id);", "walking another index in order and filtering is the same cause")
        #expect(other.evidence[0].hasPrefix("a scan (Index Scan using workflow_sessions_started_at_idx) of workflow_sessions read 100000 rows"), "\(other.evidence)")
        let indexed = PlanLog.plans(in: Substring(Self.log(database: "d", scanType: "Index Scan", removed: 0)), database: "d")
        #expect(AdviceRules.missingIndex(Self.evidence([endpoint], [Self.hot], plans: indexed)).isEmpty)
        let small = PlanLog.plans(in: Substring(Self.log(database: "d", scanType: "Seq Scan", removed: 500)), database: "d")
        #expect(AdviceRules.missingIndex(Self.evidence([endpoint], [Self.hot], plans: small)).isEmpty, "a small table is read whole at no cost")
        let busier = Self.statement("INSERT INTO x VALUES ($1)", calls: 10_000, total: 100_000)
        #expect(AdviceRules.missingIndex(Self.evidence([endpoint], [busier, Self.hot], plans: scan)).isEmpty, "4.6% of the database time is not hot")
        // An inner scan run in 100 loops of 200 rows: 20,000 rows read per execution of the statement.
        let looped = Self.log(database: "d", scanType: "Seq Scan", removed: 200).replacingOccurrences(of: #""Shared Hit Blocks": 900"#, with: #""Shared Hit Blocks": 900, "Actual Loops": 100"#)
            .replacingOccurrences(of: #""Actual Loops": 1, "Actual Total Time": 12.0"#, with: #""Actual Total Time": 0.12"#)
        let nested = try #require(AdviceRules.missingIndex(Self.evidence([endpoint], [Self.hot], plans: PlanLog.plans(in: Substring(looped), database: "d"))).first)
        #expect(nested.evidence[0].contains("read 20000 rows to keep 0 per execution"), "\(nested.evidence)")
        #expect(AdviceRules.filteredColumn("((name)::text ~~* '%x%'::text)") == "name")
        #expect(AdviceRules.filteredColumn("(p.project_id = $1)") == "project_id")
        #expect(AdviceRules.filteredColumn("(($1 IS NULL) OR (project_id = $1))") == "project_id")
        #expect(AdviceRules.filteredColumn("(project_id = '2d8f3c1e-0000-4000-8000-000000000000'::uuid)") == "project_id")
        #expect(AdviceRules.filteredColumn("($1 IS NULL)") == nil)
    }

    @Test("a statement's shape is the same from pg_stat_statements and from the text the server sent")
    func shapes() {
        let sent = "SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY''MM') FROM w WHERE id = $1 LIMIT 20 -- x1"
        let stored = "SELECT to_char(started_at AT TIME ZONE $2, $3)\n  FROM w WHERE id = $1 LIMIT $4 -- x1"
        #expect(StatementShape.of(sent) == StatementShape.of(stored))
        #expect(StatementShape.of(sent) == "SELECT to_char(started_at AT TIME ZONE ?, ?) FROM w WHERE id = ? LIMIT ? -- x1")
        #expect(StatementShape.of("SELECT a FROM t") != StatementShape.of("SELECT b FROM t"))
        // Booleans and negative numbers are constants to pg_stat_statements; a minus between operands is not a sign.
        #expect(StatementShape.of("SELECT * FROM t WHERE done = true AND n > -5 AND m IN (-1, 2) AND k = x-1")
            == StatementShape.of("SELECT * FROM t WHERE done = $1 AND n > $2 AND m IN ($3, $4) AND k = x-$5"))
        #expect(StatementShape.of("SELECT TRUE, falsehood, is_true") == "SELECT ?, falsehood, is_true")
        #expect(StatementShape.of("SELECT -1, CASE WHEN a THEN -2 ELSE - 3 END FROM t WHERE b BETWEEN -5 AND -1 LIMIT -1")
            == StatementShape.of("SELECT $1, CASE WHEN a THEN $2 ELSE $3 END FROM t WHERE b BETWEEN $4 AND $5 LIMIT $6"))
        #expect(StatementShape.of("SELECT a - 1, f(x) -2, b[1] - 3") == "SELECT a - ?, f(x) -?, b[?] - ?")
    }

    @Test("repeated_statement: the N+1 shape, one statement many times per request; not one statement once")
    func repeatedStatement() throws {
        let listing = Self.endpoint("GET /orders", requests: 200, client: 30, app: 28, database: 25, queries: 11)
        let perItem = Self.statement("SELECT * FROM items WHERE order_id = $1", calls: 2000, total: 900)
        let list = Self.statement("SELECT * FROM orders LIMIT 10", calls: 200, total: 100)
        let found = try #require(AdviceRules.repeatedStatement(Self.evidence([listing], [list, perItem])).first)
        #expect(found.evidence.contains { $0.contains("ran 2000 times for 200 requests: 10.0 per request") }, "\(found.evidence)")
        #expect(found.evidence.contains { $0.contains("GET /orders: 11.0 queries per request") })
        #expect(AdviceRules.repeatedStatement(Self.evidence([Self.endpoint(client: 5, app: 4, database: 3)], [list])).isEmpty)
    }

    @Test("pool_size: waits for connections while the database is idle, sized by Little's law; not while it is busy")
    func poolSize() throws {
        let waiting = Self.endpoint(client: 10, app: 9, database: 4, pool: 4, verdict: .pool)
        let found = try #require(AdviceRules.poolSize(Self.evidence([waiting], [], rate: 500, cpu: 20)).first)
        // 500 requests/s x 4 ms held = 2 connections busy; half again = 3.
        #expect(found.action.hasPrefix("a pool of at least 3 connections"), "\(found.action)")
        #expect(found.evidence.contains { $0.contains("= 2.00 connections busy") }, "\(found.evidence)")
        #expect(AdviceRules.poolSize(Self.evidence([waiting], [], cpu: 85)).isEmpty, "a busy database needs no more connections")
        var known = Self.evidence([waiting], [], rate: 500, cpu: 20)
        known.poolSize = 2
        #expect(AdviceRules.poolSize(known).first?.evidence.last == "the pool opens at most 2 connections (db_pool_connections_max)")
        known.poolSize = 3
        #expect(AdviceRules.poolSize(known).isEmpty, "a pool already as large as Little's law asks is not the cause of the waits")
        #expect(AdviceRules.poolSize(Self.evidence([Self.endpoint(client: 10, app: 9, database: 4, pool: 0.1)], [])).isEmpty)
    }

    @Test("round_trips: the database's wait far above its execution time; not when execution is the wait")
    func roundTrips() throws {
        let endpoint = Self.endpoint(requests: 1000, client: 2, app: 1.6, database: 1.2)
        // The server waited 1.2 ms x 1000 = 1200 ms; PostgreSQL executed 100 ms of it.
        let found = try #require(AdviceRules.roundTrips(Self.evidence([endpoint], [Self.statement("SELECT 1", calls: 1000, total: 100)])).first)
        #expect(found.evidence[1].contains("100.0 ms") && found.evidence[1].contains("8.3%"), "\(found.evidence)")
        #expect(AdviceRules.roundTrips(Self.evidence([endpoint], [Self.statement("SELECT 1", calls: 1000, total: 1000)])).isEmpty)
        let applicationBound = Self.endpoint(requests: 1000, client: 2, app: 1.6, database: 0.2, verdict: .application)
        #expect(AdviceRules.roundTrips(Self.evidence([applicationBound], [Self.statement("SELECT 1", calls: 1000, total: 10)])).isEmpty)
    }

    @Test("application_time: the handler's own time at least half the request; not when the database takes it")
    func applicationTime() throws {
        let found = try #require(AdviceRules.applicationTime(Self.evidence([Self.endpoint(client: 10, app: 9, database: 2, verdict: .application)], [])).first)
        #expect(found.evidence[0].contains("7.00 ms"), "\(found.evidence)")
        #expect(found.action.hasPrefix("profile the server"))
        var profiled = Self.evidence([Self.endpoint(client: 10, app: 9, database: 2, verdict: .application)], [])
        profiled.profileTopFrames = ServerProfile(folded: ["main;JSONLogHandler.log(event:)": 6, "main;Router.respond": 2], frequencyHz: 199).topSelf
        let cited = try #require(AdviceRules.applicationTime(profiled).first)
        #expect(cited.evidence.last == "the server's profile, frames with the most samples of their own: JSONLogHandler.log(event:) 75.0%; Router.respond 25.0%", "\(cited.evidence)")
        #expect(AdviceRules.applicationTime(Self.evidence([Self.endpoint(client: 10, app: 9, database: 7)], [])).isEmpty)
    }
}
