import ArchMeshDatabase
import Foundation
import PerfSuite
import PostgresNIO
import TestSupport
import XCTest

/// A `database` scenario on the reference server and a real PostgreSQL: the projects list loaded,
/// then its statements replayed with pgbench, with the values PostgreSQL logged; values reach
/// PostgreSQL intact through pgbench, and a replay that fails says so and fails the scenario.
final class DatabaseScenarioTests: XCTestCase {
    func testTheProjectsListIsComparedWithItsDatabaseForTheSameStatements() async throws {
        try await ReferenceServer.with { server in
            let result = try await server.run("projects_database_limit", scale: 0.3)
            let comparison = try XCTUnwrap(result.database, "\(result.errors)")
            XCTAssertNil(comparison.failure)
            XCTAssertNil(comparison.aborted)
            XCTAssertEqual(comparison.failedTransactions, 0)
            // 20 users, but the server's pool of 10 never had more than 10 statements running at once.
            XCTAssertEqual(comparison.clients, 10)
            XCTAssertGreaterThan(comparison.replayedShare, 0.9, "\(comparison.statements)")
            XCTAssertGreaterThan(comparison.transactions ?? 0, 0)
            // The list's one statement (its page, with the count of all that match) is what a request ran.
            let page = try XCTUnwrap(comparison.statements.first { $0.query.contains("FROM projects") && $0.leftOut == nil }, "\(comparison.statements)")
            XCTAssertGreaterThanOrEqual(page.samples, 1, "replayed with values PostgreSQL logged")
            XCTAssertEqual(page.callsPerRequest, 1, accuracy: 0.1)
            let ratio = try XCTUnwrap(comparison.ratio)
            XCTAssertGreaterThan(ratio, 0)
            XCTAssertTrue(result.passed, "\(result.violations)")
            // PostgreSQL itself counted the replay: the list's statement ran for the API, then as many more times as pgbench says.
            let executed = try await server.databaseURL.withConnection(logger: TestDatabase.logger) { connection in
                try await connection.query(
                    // This database's alone: the cluster is shared with suites that run in parallel.
                    """
                    SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements
                    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND query LIKE '%FROM projects%ORDER BY created_at DESC%' AND query NOT LIKE '%pg_stat_statements%'
                    """,
                    logger: TestDatabase.logger
                ).decode(Int64.self).first { _ in true } ?? 0
            }
            let transactions = try XCTUnwrap(comparison.transactions)
            XCTAssertGreaterThanOrEqual(Int(executed), page.calls + transactions, "the API's \(page.calls) and pgbench's \(transactions)")
            XCTAssertLessThan(Int(executed), page.calls + transactions + comparison.clients + 100, "nothing else ran the list's statement")

            let report = SuiteReport(
                schemaVersion: SuiteReport.currentSchemaVersion, interrupted: false,
                summary: .init(startTime: Date(), endTime: Date(), totalScenarios: 1, passed: 1, failed: 0),
                environment: .current(target: server.summary, configuration: "built-in", scale: 0.3, postgresVersion: nil, serverLog: nil),
                scenarios: [result])
            let text = CorrelationText.render(report)
            XCTAssertTrue(text.contains("Database limit: API ") && text.contains("requests' worth/s for the same statements at 10 connections"), text)
            XCTAssertTrue(SummaryTable.footer(report).contains("projects_database_limit: API "))
            let html = HTMLReport.render(report)
            XCTAssertTrue(html.contains("<h3>Database limit</h3>") && html.contains("database (pgbench)"))
            let data = try ReportCoding.encoder.encode(report)
            let validator = try JSONSchemaValidator(schemaFile: ReportOutputTests.packageRoot.appendingPathComponent("schemas/report.schema.json"))
            XCTAssertEqual(try validator.failures(of: data).map(\.description), [])
            print("projects list: API \(comparison.apiRequestsPerSecond) req/s, database \(comparison.databaseRequestsPerSecond ?? 0) requests' worth/s, ratio \(ratio)")
        }
    }

    /// Values with quotes, a semicolon, a backslash, a colon, a newline and non-ASCII letters reach
    /// PostgreSQL through pgbench as the API sent them; a statement that fails stops pgbench's client,
    /// and the comparison says so and fails.
    func testValuesReachPostgresIntactAndAFailingReplayIsReported() async throws {
        let database = try await TestDatabase.migratedDatabase(prefix: "replay")
        guard let pgbench = Pgbench.locate() else { throw XCTSkip("pgbench is not installed") }
        let value = "it's \"quoted\"; back\\slash :colon\nnew line, ünïcödé $1"
        let encoded = Data(value.utf8).base64EncodedString()
        let query = "SELECT 1 / ($1::text = convert_from(decode($2, 'base64'), 'UTF8'))::int"
        let figures = [StatementFigures(query: query, calls: 100, totalMilliseconds: 10, meanMilliseconds: 0.1, rows: 100)]
        let intact = ReplayWorkload(statements: figures, requests: 100, executions: [LoggedExecution(query: query, parameters: [value, encoded])])
        XCTAssertEqual(intact.scripts.count, 1, "\(intact.statements)")
        let outcome = try await Pgbench.run(intact, database: database, clients: 2, seconds: 1, executable: pgbench)
        XCTAssertNil(outcome.aborted, "the value arrived changed: division by zero")
        XCTAssertGreaterThan(outcome.transactions, 0)
        XCTAssertEqual(outcome.failed, 0)

        let changed = ReplayWorkload(statements: figures, requests: 100, executions: [LoggedExecution(query: query, parameters: ["other", encoded])])
        let stopped = try await Pgbench.run(changed, database: database, clients: 2, seconds: 1, executable: pgbench)
        XCTAssertTrue(stopped.aborted?.contains("division by zero") == true, "\(stopped)")
        var comparison = DatabaseComparison(apiRequestsPerSecond: 100, workload: changed, clients: 2, seconds: 1, minRatio: 0.5)
        comparison.aborted = stopped.aborted
        XCTAssertEqual(comparison.violations.map(\.metric), ["database_replay"])

        var wrong = database
        wrong.password = "not the password"
        do {
            _ = try await Pgbench.run(intact, database: wrong, clients: 1, seconds: 1, executable: pgbench)
            XCTFail("pgbench connected with a wrong password")
        } catch {
            XCTAssertTrue("\(error)".contains("pgbench exited with"), "\(error)")
        }
    }
}
