import ArchMeshDatabase
import Foundation
import LoadEngine
import PerfSuite
import TestSupport
import XCTest

/// Recommendations on a real server: with an index dropped on a 100,000-project dataset, a scenario
/// that filters by its column gets a plan with the sequential scan marked and the index
/// recommended by name; once that index is created, the recommendation is gone.
final class AdviceTests: XCTestCase {
    static let scenario = """
        thresholds: {load: {}}
        scenarios:
          - key: workflows_by_project
            type: load
            severity: high
            users: 4
            duration: 4s
            flow:
              - name: workflows of a project
                method: GET
                path: /api/v1/workflows?project_id=${uuid}
                expect: 200
        """

    func testADroppedIndexIsRecommendedByNameAndNotOnceCreated() async throws {
        try await ReferenceServer.with { server in
            _ = try await Seeder().seed(server.databaseURL, options: .init(projects: 100_000, workflowsPerProject: 1), logger: TestDatabase.logger)
            try await server.execute("DROP INDEX workflow_sessions_project_idx")
            let configuration = try SuiteConfiguration.parse(Self.scenario, file: "advice.yaml")
            let without = try await server.run(configuration.scenarios[0], configuration: configuration)
            let plans = try XCTUnwrap(without.analysis?.plans)
            let plan = try XCTUnwrap(plans.first { $0.query.contains("workflow_sessions") }, "\(plans.map(\.query))")
            let nodes = plan.root.flattened().map(\.node)
            // Without its index the planner reads the table, or walks another index in the list's order, and filters on project_id.
            let scan = try XCTUnwrap(nodes.first { $0.relation == "workflow_sessions" && $0.filter?.contains("project_id") == true && $0.rowsRead >= 100_000 }, "\(plan.treeLines)")
            XCTAssertEqual(scan.actualRows, 0, "a random project has no workflow")
            XCTAssertTrue(plan.dominant.contains { plan.root.flattened()[$0].node == scan }, "the scan is marked as where the time went: \(plan.treeLines)")
            let found = without.analysis?.recommendations?.filter { $0.rule == "missing_index" } ?? []
            XCTAssertEqual(found.map(\.action), ["CREATE INDEX ON workflow_sessions (project_id);"], "\(without.analysis?.recommendations ?? [])")
            let text = CorrelationText.render(Self.report(without, server))
            XCTAssertTrue(text.contains("query plans") && text.contains("on workflow_sessions") && text.contains("of 100000 read"), text)
            XCTAssertTrue(text.contains("do: CREATE INDEX ON workflow_sessions (project_id);"), text)
            let html = HTMLReport.render(Self.report(without, server))
            XCTAssertTrue(html.contains("<h3>Query plans</h3>") && html.contains("<strong>"), "the dominant node is marked")
            let data = try ReportCoding.encoder.encode(Self.report(without, server))
            let validator = try JSONSchemaValidator(schemaFile: ReportOutputTests.packageRoot.appendingPathComponent("schemas/report.schema.json"))
            XCTAssertEqual(try validator.failures(of: data).map(\.description), [])

            try await server.execute(try XCTUnwrap(found.first?.action))
            let with = try await server.run(configuration.scenarios[0], configuration: configuration)
            XCTAssertEqual(with.analysis?.recommendations?.filter { $0.rule == "missing_index" }, [], "\(with.analysis?.plans?.map(\.treeLines) ?? [])")
            let indexed = try XCTUnwrap(with.analysis?.plans?.first { $0.query.contains("workflow_sessions") })
            XCTAssertFalse(indexed.root.flattened().contains { $0.node.rowsRead >= 10_000 }, "\(indexed.treeLines)")
            XCTAssertTrue(indexed.root.flattened().contains { $0.node.index?.hasPrefix("workflow_sessions_project_id") == true }, "the new index is used: \(indexed.treeLines)")
            print("dropped index: p50 \(without.load?.latency.p50 ?? 0) ms, \(without.requestsPerSecond) req/s; with the recommended index: p50 \(with.load?.latency.p50 ?? 0) ms, \(with.requestsPerSecond) req/s")
        }
    }

    static func report(_ result: ScenarioResult, _ server: ReferenceServer) -> SuiteReport {
        SuiteReport(
            schemaVersion: SuiteReport.currentSchemaVersion, interrupted: false,
            summary: .init(startTime: Date(), endTime: Date(), totalScenarios: 1, passed: result.passed ? 1 : 0, failed: result.passed ? 0 : 1),
            environment: .current(target: server.summary, configuration: "advice.yaml", scale: 1, postgresVersion: nil, serverLog: nil),
            scenarios: [result])
    }
}
