import Foundation
@testable import PerfSuite
import Testing

/// A `database` scenario's parts that need no database: executions read back from PostgreSQL's
/// log, statements turned into pgbench scripts (or left out, with the reason), pgbench's summary
/// read, and the comparison's verdict.
@Suite("Database scenarios: the log, the replay's scripts, pgbench's summary, the verdict")
struct DatabaseReplayTests {
    static let prefix = "2026-11-26 18:20:01.123 UTC [4242] archmesh_perf_1 "

    // MARK: The log

    @Test("sampled executions with their values, multi-line text, other databases and other messages passed over")
    func log() {
        let text = """
            \(Self.prefix)LOG:  duration: 0.081 ms  bind projects.page: SELECT $1
            \(Self.prefix)DETAIL:  parameters: $1 = '7'
            \(Self.prefix)LOG:  duration: 0.095 ms  execute projects.page: SELECT id, name
            \tFROM projects
            \tWHERE domain = $1::project_domain LIMIT $2 OFFSET $3
            \(Self.prefix)DETAIL:  parameters: $1 = NULL, $2 = '20', $3 = '0'
            2026-11-26 18:20:01.200 UTC [4243] other_db LOG:  duration: 0.010 ms  execute <unnamed>: SELECT $1
            2026-11-26 18:20:01.200 UTC [4243] other_db DETAIL:  parameters: $1 = 'not ours'
            \(Self.prefix)LOG:  duration: 0.030 ms  statement: SELECT 1
            \(Self.prefix)LOG:  duration: 0.050 ms  execute <unnamed>/C_1: SELECT $1::text
            \(Self.prefix)DETAIL:  parameters: $1 = 'it''s
            \ttwo lines, a comma, $2 = ''x'''
            \(Self.prefix)LOG:  duration: 1.000 ms  plan:
            \t{"Query Text": "SELECT 1"}
            \(Self.prefix)LOG:  checkpoint starting: time
            \(Self.prefix)LOG:  duration: 0.020 ms  execute fetch from s1/c1: SELECT $1
            \(Self.prefix)LOG:  duration: 0.020 ms  execute p: SELECT $1
            \(Self.prefix)DETAIL:  parameters: $1 = 'carriage\r
            \treturn'
            """
        let executions = ExecutionLog.executions(in: Substring(text), database: "archmesh_perf_1")
        #expect(executions == [
            LoggedExecution(query: "SELECT id, name\nFROM projects\nWHERE domain = $1::project_domain LIMIT $2 OFFSET $3", parameters: [nil, "20", "0"]),
            LoggedExecution(query: "SELECT 1"),
            LoggedExecution(query: "SELECT $1::text", parameters: ["it's\ntwo lines, a comma, $2 = 'x'"]),
            LoggedExecution(query: "SELECT $1", parameters: ["carriage\r\nreturn"]),
        ])
    }

    @Test("parameter lists that are not what PostgreSQL writes are not taken")
    func badParameters() {
        #expect(ExecutionLog.parameters("parameters: $1 = '20', $2 = NULL") == ["20", nil])
        #expect(ExecutionLog.parameters("parameters: $1 = ''") == [""])
        for bad in [
            "parameters: $2 = '20'", "parameters: $1 = '20', $3 = '0'", "parameters: $1 = 20", "parameters: $1 = 'open",
            "parameters: $1='20'", "parameters: $1 = '20'; $2 = '1'", "parameters: $", "parameters: $x = '1'", "statement: SELECT 1", "",
        ] {
            #expect(ExecutionLog.parameters(bad) == nil, "\(bad)")
        }
    }

    @Test("garbage, truncated lines and random bytes in the log: no crash, nothing invented")
    func garbage() {
        var generator = SystemRandomNumberGenerator()
        let line = "\(Self.prefix)LOG:  duration: 0.095 ms  execute p: SELECT $1\n\(Self.prefix)DETAIL:  parameters: $1 = 'a''b'\n"
        for cut in 0...line.count {
            let executions = ExecutionLog.executions(in: Substring(line.prefix(cut)), database: "archmesh_perf_1")
            #expect(executions.count <= 1)
        }
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0...400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let noise = String(decoding: bytes, as: UTF8.self)
            _ = ExecutionLog.executions(in: Substring(noise + line + noise), database: "archmesh_perf_1")
        }
    }

    // MARK: The scripts

    @Test("parameters become pgbench variables outside quotes, comments and dollar quotes; NULL is written out")
    func substitution() throws {
        let query = """
            SELECT $1::int, '$2', "col$3", $$ $1 $$, $tag$ it's $2 $tag$, E'\\' $2', -- $2
            /* $2 /* nested $2 */ $2 */ a$1, $2 FROM t
            """
        let script = try #require(ReplayWorkload.script(LoggedExecution(query: query, parameters: ["5", nil]), statement: 3, id: 7))
        #expect(script.text == """
            SELECT :v7_1::int, '$2', "col$3", $$ $1 $$, $tag$ it's $2 $tag$, E'\\' $2', -- $2
            /* $2 /* nested $2 */ $2 */ a$1, NULL FROM t;

            """)
        #expect(script.variables == ["v7_1": "5"])
        #expect(script.statement == 3)
        // pgbench takes no empty value: an empty string is written out. After a colon, a space keeps the variable a variable.
        #expect(ReplayWorkload.script(LoggedExecution(query: "SELECT $1, a[1:$2]", parameters: ["", "3"]), statement: 0, id: 0)?.text
            == "SELECT '', a[1: :v0_2];\n")
    }

    @Test("what pgbench would read otherwise than PostgreSQL is not made a script")
    func unscriptable() {
        for query in [
            "SELECT $3", "SELECT 1; SELECT 2", "SELECT \\x", "SELECT to_char(now(), 'HH24:MI')", "SELECT :name", "SELECT $1 WHERE a = :b",
            "SELECT ':_x'", "SELECT ':été'",
        ] {
            #expect(ReplayWorkload.script(LoggedExecution(query: query, parameters: ["1"]), statement: 0, id: 0) == nil, "\(query)")
        }
        // A trailing semicolon, casts, and a colon before anything but a name's first character are fine.
        #expect(ReplayWorkload.script(LoggedExecution(query: "SELECT $1::text, 'a: b', x::int, '12:30' ;  ", parameters: ["1"]), statement: 0, id: 0)?.text
            == "SELECT :v0_1::text, 'a: b', x::int, '12:30';\n")
        // pgbench makes each use of a variable a parameter, at most 255; its values go on its command line.
        let many = "SELECT " + Array(repeating: "$1", count: 256).joined(separator: ", ")
        #expect(ReplayWorkload.script(LoggedExecution(query: many, parameters: ["1"]), statement: 0, id: 0) == nil)
        #expect(ReplayWorkload.script(LoggedExecution(query: "SELECT " + Array(repeating: "$1", count: 255).joined(separator: ", "), parameters: ["1"]), statement: 0, id: 0) != nil)
        #expect(ReplayWorkload.script(LoggedExecution(query: "SELECT $1", parameters: [String(repeating: "x", count: 8193)]), statement: 0, id: 0) == nil)
    }

    @Test("every script has variables of its own: pgbench's are one set, and a name defined twice would keep the last value")
    func distinctValues() throws {
        let query = "SELECT * FROM projects WHERE domain = $1 LIMIT $2"
        let executions = (0..<5).map { LoggedExecution(query: query, parameters: ["d\($0)", "\(10 + $0)"]) }
        let workload = ReplayWorkload(statements: [Self.figures(query, calls: 100)], requests: 100, executions: executions)
        #expect(workload.scripts.count == 5)
        let arguments = Pgbench.arguments(workload, files: workload.scripts.indices.map { "/s\($0).sql" }, clients: 4, seconds: 5)
        let defined = arguments.filter { $0.hasPrefix("--define=") }.map { $0.dropFirst("--define=".count).split(separator: "=", maxSplits: 1) }
        #expect(defined.count == 10)
        #expect(Set(defined.map { $0[0] }).count == 10, "no name defined twice: \(defined)")
        #expect(Set(defined.map { $0[1] }) == Set((0..<5).flatMap { ["d\($0)", "\(10 + $0)"] }), "every set of values is replayed")
        for script in workload.scripts {
            let names = script.variables.keys
            #expect(names.allSatisfy { script.text.contains(":" + $0 + " ") || script.text.contains(":" + $0 + ";") }, "\(script.text)")
        }
        #expect(arguments.filter { $0.hasPrefix("--file=") } == workload.scripts.indices.map { "--file=/s\($0).sql@2000" })
    }

    static func figures(_ query: String, calls: Int) -> StatementFigures {
        StatementFigures(query: query, calls: calls, totalMilliseconds: Double(calls), meanMilliseconds: 1, rows: calls)
    }

    @Test("each statement weighed by its calls per request; writes, locks, rare and unsampled statements left out with the reason")
    func workload() throws {
        let page = "SELECT * FROM projects WHERE domain = $1 LIMIT $2"
        let statements = [
            Self.figures(page, calls: 2000),
            Self.figures("SELECT count(*) FROM projects WHERE status = $1", calls: 1000),
            Self.figures("INSERT INTO projects (name) VALUES ($1)", calls: 500),
            Self.figures("WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved", calls: 500),
            Self.figures("SELECT * FROM projects WHERE id = $1 FOR UPDATE", calls: 500),
            Self.figures("BEGIN", calls: 500),
            Self.figures("SELECT $1", calls: 3),
            Self.figures("SELECT now()", calls: 100),
        ]
        var executions = (0..<40).map { LoggedExecution(query: "SELECT *\n  FROM projects WHERE domain = $1 LIMIT $2", parameters: ["d\($0 % 20)", "20"]) }
        executions.append(LoggedExecution(query: "SELECT 9", parameters: []))
        let workload = ReplayWorkload(statements: statements, requests: 1000, executions: executions)
        let byQuery = Dictionary(uniqueKeysWithValues: workload.statements.map { ($0.query, $0) })
        #expect(byQuery[page]?.samples == 16, "20 distinct sets of values, 16 kept")
        #expect(byQuery[page]?.callsPerRequest == 2)
        #expect(byQuery["SELECT now()"]?.samples == 1, "a statement without parameters replays as it is")
        #expect(byQuery["SELECT count(*) FROM projects WHERE status = $1"]?.leftOut?.hasPrefix("no sampled execution of it") == true)
        #expect(byQuery["INSERT INTO projects (name) VALUES ($1)"]?.leftOut?.hasPrefix("writes") == true)
        #expect(byQuery["WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved"]?.leftOut?.hasPrefix("writes") == true)
        #expect(byQuery["SELECT * FROM projects WHERE id = $1 FOR UPDATE"]?.leftOut?.hasPrefix("takes row locks") == true)
        #expect(byQuery["BEGIN"]?.leftOut == "not a query (BEGIN)")
        #expect(byQuery["SELECT $1"]?.leftOut == "rare: 3 calls for 1000 requests")
        #expect(abs(workload.statementsPerRequest - 2.1) < 1e-9)
        // Database time: 2000 + 100 ms replayed of 5103.
        #expect(abs(workload.replayedShare - 2100.0 / 5103.0) < 1e-9)
        #expect(workload.scripts.count == 17)
        let weights = Dictionary(grouping: workload.scripts, by: \.statement).mapValues { $0.map(\.weight).reduce(0, +) }
        // Weights in proportion to calls per request: 2 for the page, 0.1 for now().
        let pageWeight = try #require(weights[workload.statements.firstIndex { $0.query == page }!])
        let nowWeight = try #require(weights[workload.statements.firstIndex { $0.query == "SELECT now()" }!])
        #expect(abs(Double(pageWeight) / Double(nowWeight) - 20) < 0.1)
    }

    @Test("no more than pgbench's 128 scripts; the statements beyond them are said to be left out")
    func scriptLimit() {
        let statements = (0..<12).map { Self.figures("SELECT $1 FROM t\($0)", calls: 1000 - $0) }
        let executions = (0..<12).flatMap { table in (0..<16).map { LoggedExecution(query: "SELECT $1 FROM t\(table)", parameters: ["\($0)"]) } }
        let workload = ReplayWorkload(statements: statements, requests: 1000, executions: executions)
        #expect(workload.scripts.count == 128)
        #expect(workload.statements.filter { $0.leftOut == "beyond pgbench's 128 scripts" }.count == 4)
        // A statement that finds less room than its sets of values gets what room is left.
        let nine = (0..<16).map { Self.figures("SELECT $1 FROM u\($0)", calls: 1000 - $0) }
        let nineEach = (0..<16).flatMap { table in (0..<9).map { LoggedExecution(query: "SELECT $1 FROM u\(table)", parameters: ["\($0)"]) } }
        let shared = ReplayWorkload(statements: nine, requests: 1000, executions: nineEach)
        #expect(shared.scripts.count == 128)
        #expect(shared.statements.map(\.samples) == Array(repeating: 9, count: 14) + [2, 0])
        #expect(shared.statements.last?.leftOut == "beyond pgbench's 128 scripts")
    }

    @Test("a statement without values that pgbench cannot run is said to be that, not unsampled")
    func unscriptableReason() {
        let workload = ReplayWorkload(statements: [Self.figures("SELECT 1; SELECT 2", calls: 100)], requests: 100, executions: [])
        #expect(workload.statements.first?.leftOut == "it cannot be written as a pgbench script (pgbench would read it otherwise than PostgreSQL does)")
    }

    // MARK: pgbench's summary

    @Test("pgbench's summary, and a client it stopped on an error")
    func summary() throws {
        let clean = """
            pgbench (15.18 (Debian 15.18-0+deb12u1))
            transaction type: multiple scripts
            scaling factor: 1
            query mode: prepared
            number of clients: 20
            number of threads: 2
            maximum number of tries: 1
            duration: 10 s
            number of transactions actually processed: 55072
            number of failed transactions: 0 (0.000%)
            latency average = 3.632 ms
            initial connection time = 40.310 ms
            tps = 5507.239 (without initial connection time)
            SQL script 1: /tmp/x/statement-0-0.sql
             - weight: 10000 (targets 100.0% of total)
             - 55072 transactions (100.0% of total, tps = 5507.239)
            """
        #expect(Pgbench.parse(clean) == Pgbench.Outcome(
            transactions: 55072, failed: 0, transactionsPerSecond: 5507.239, latencyAverageMilliseconds: 3.632, aborted: nil))
        let stopped = """
            pgbench: error: client 3 script 0 aborted in command 0 query 0: ERROR:  division by zero
            number of transactions actually processed: 12
            number of failed transactions: 0 (0.000%)
            tps = 0.000000 (without initial connection time)
            pgbench: error: Run was aborted; the above results are incomplete.
            """
        let outcome = try #require(Pgbench.parse(stopped))
        #expect(outcome.aborted == "ERROR:  division by zero")
        #expect(outcome.transactions == 12)
        #expect(Pgbench.parse("pgbench: error: client 0 script 0 aborted in command 0 query 0: ERROR:  boom\npgbench: error: Run was aborted")
            == Pgbench.Outcome(transactions: 0, failed: 0, transactionsPerSecond: 0, latencyAverageMilliseconds: nil, aborted: "ERROR:  boom"))
        // A statement PostgreSQL would not prepare: the cause is said first, the abort after it.
        let unprepared = """
            pgbench: error: ERROR:  could not determine data type of parameter $1
            pgbench: error: client 0 script 0 aborted in command 0 query 0: ERROR:  prepared statement "P_0" does not exist
            pgbench: error: Run was aborted; the above results are incomplete.
            """
        #expect(Pgbench.parse(unprepared)?.aborted == "ERROR:  could not determine data type of parameter $1")
        #expect(Pgbench.parse("pgbench: error: connection to server failed: Connection refused") == nil)
        #expect(Pgbench.parse("tps = nan\nnumber of transactions actually processed: 1") == nil)
    }

    // MARK: The verdict

    static func comparison(api: Double, database: Double?, minRatio: Double? = nil) -> DatabaseComparison {
        let workload = ReplayWorkload(
            statements: [Self.figures("SELECT 1", calls: 2000)], requests: 1000, executions: [])
        var comparison = DatabaseComparison(apiRequestsPerSecond: api, workload: workload, clients: 20, seconds: 10, minRatio: minRatio)
        comparison.databaseStatementsPerSecond = database
        comparison.transactions = database.map { Int($0 * 10) }
        comparison.failedTransactions = database.map { _ in 0 }
        return comparison
    }

    @Test("the ratio is requests' worth: the database's statements a second over the statements a request ran")
    func ratio() throws {
        let comparison = Self.comparison(api: 1000, database: 8000, minRatio: 0.5)
        #expect(comparison.statementsPerRequest == 2)
        #expect(comparison.databaseRequestsPerSecond == 4000)
        #expect(comparison.ratio == 0.25)
        #expect(comparison.violations.map(\.metric) == ["api_vs_database_ratio"])
        #expect(Self.comparison(api: 3000, database: 8000, minRatio: 0.5).violations.isEmpty)
        #expect(Self.comparison(api: 1000, database: 8000).violations.isEmpty, "without min_ratio the ratio is reported, not judged")
        var failed = Self.comparison(api: 1000, database: nil, minRatio: 0.5)
        failed.failure = "pgbench was not found"
        #expect(failed.ratio == nil)
        #expect(failed.violations.map(\.message) == ["The database's throughput was not measured: pgbench was not found"])
        // Not judged: what kept the ratio from being measured is said, and fails nothing.
        failed.minRatio = nil
        #expect(failed.violations.isEmpty)
        #expect(failed.problems.map(\.message) == ["The database's throughput was not measured: pgbench was not found"])
        var aborted = Self.comparison(api: 1000, database: 10, minRatio: 0.1)
        aborted.aborted = "ERROR:  division by zero"
        #expect(aborted.violations.map(\.metric) == ["database_replay"])
        // An API that answered nothing fails, judged or not; a judged comparison without a ratio fails.
        #expect(Self.comparison(api: 0, database: 8000).violations.map(\.metric) == ["api_requests_per_second"])
        #expect(Self.comparison(api: 1000, database: 0, minRatio: 0.5).violations.map(\.metric) == ["api_vs_database_ratio"])
        // Too little of the database's time replayed: the ratio would not be the API's.
        var partial = Self.comparison(api: 1000, database: 8000, minRatio: 0.1)
        partial.replayedShare = 0.2
        #expect(partial.violations.map(\.metric) == ["database_replayed_share"])
        let data = try ReportCoding.encoder.encode(Self.comparison(api: 1000, database: 8000, minRatio: 0.5))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["ratio"] as? Double == 0.25)
        #expect(try ReportCoding.decoder.decode(DatabaseComparison.self, from: data) == Self.comparison(api: 1000, database: 8000, minRatio: 0.5))
    }

    // MARK: The scenario file

    func configuration(type: String = "database", _ body: String) throws -> SuiteConfiguration {
        let text = """
            thresholds: {load: {}}
            endpoints: {list: {method: GET, path: /api/v1/projects}}
            scenarios:
              - key: limit
                type: \(type)
                severity: low
                endpoints: [list]
            \(body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        return try SuiteConfiguration.parse(text, file: "database.yaml")
    }

    @Test("a database scenario as written: users, a duration or requests, an optional least ratio")
    func read() throws {
        let scenario = try configuration("users: 20\nduration: 10s\ndatabase: {min_ratio: 0.5}").scenarios[0]
        #expect(scenario.type == .database)
        #expect(scenario.database == DatabaseLoadExpectation(minRatio: 0.5))
        #expect(scenario.fixedUsers == 20)
        #expect(try configuration("users: 4\nrequests_per_user: 10").scenarios[0].database == DatabaseLoadExpectation())
    }

    @Test("what a database scenario cannot be is refused with its place and the reason")
    func refused() {
        let cases: [(String, String, String)] = [
            ("database", "rate: 100\nduration: 10s", "at the same concurrency"),
            ("database", "users: 5\nduration: 10s\nthink_time: 1s", "leave out think_time"),
            ("database", "start_users: 1\nstages: [{duration: 5s, users: 10}]", "at the same concurrency"),
            ("database", "users: 5\nduration: 10s\ndatabase: {min_ratio: 0}", "min_ratio"),
            ("database", "users: 5\nduration: 10s\ndatabase: {min_ratio: lots}", "min_ratio"),
            ("database", "users: 5\nduration: 10s\ndatabase: {ratio: 0.5}", "ratio"),
            ("load", "users: 5\nduration: 10s\ndatabase: {min_ratio: 0.5}", "belongs to a scenario of type database"),
        ]
        for (type, body, said) in cases {
            do {
                _ = try configuration(type: type, body)
                Issue.record("accepted: \(body)")
            } catch {
                let message = String(describing: error)
                #expect(message.contains("database.yaml:") && message.contains(said), "\(body): \(message)")
            }
        }
    }
}
