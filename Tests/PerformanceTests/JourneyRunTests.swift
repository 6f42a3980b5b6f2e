import Foundation
import LoadEngine
import PerfSuite
import TestSupport
import XCTest

/// User journeys against the reference server: the rows a journey leaves are the ones it counted,
/// values taken from one answer reach the next requests, each journey is one trace, and the
/// default suite's `workflow_journey` runs as written.
final class JourneyRunTests: XCTestCase {
    static let flow = """
        thresholds: {load: {}}
        scenarios:
          - key: journey
            type: load
            severity: high
            users: 4
            duration: 3s
            variables: {domain: [cloud-native, enterprise]}
            flow:
              - name: create project
                method: POST
                path: /api/v1/projects
                body: '{"name": "journey ${seq}", "description": "user ${vu}, journey ${iteration}", "domain": "${domain}"}'
                expect: 201
                extract: {project_id: $.id, project_name: /name}
              - name: start workflow
                method: POST
                path: /api/v1/workflows/start
                body: '{"project_id": "${project_id}"}'
                expect: 201
                extract: {session_id: $.session_id}
              - name: start it again
                method: POST
                path: /api/v1/workflows/start
                body: '{"project_id": "${project_id}"}'
                expect: 409
              - name: read status
                method: GET
                path: /api/v1/workflows/${session_id}/status
                expect: 200
                repeat: 2
                think: 10ms
              - name: read project
                method: GET
                path: /api/v1/projects/${project_id}
                headers: {X-Journey-Project: '${project_name}'}
                expect: 200
        """

    func testAJourneyLeavesExactlyTheRowsItCountedAndCarriesValuesForward() async throws {
        try await ReferenceServer.with { server in
            let configuration = try SuiteConfiguration.parse(Self.flow, file: "journey.yaml")
            let result = try await server.run(configuration.scenarios[0], configuration: configuration)
            let load = try XCTUnwrap(result.load)
            let journeys = try XCTUnwrap(load.journeys)
            XCTAssertGreaterThan(journeys.completed, 4, "\(journeys)")
            XCTAssertEqual(journeys.failed, 0, "\(journeys.failedAtStep) \(load.errors.byName)")
            XCTAssertTrue(result.passed, "\(result.violations.map(\.message))")
            let steps = Dictionary(uniqueKeysWithValues: load.endpoints.map { ($0.name, $0) })
            XCTAssertEqual(load.endpoints.map(\.name), ["create project", "start workflow", "start it again", "read status", "read project"])
            let created = try XCTUnwrap(steps["create project"]?.statusClasses["2xx"])
            let started = try XCTUnwrap(steps["start workflow"]?.statusClasses["2xx"])
            // Rows: exactly what was counted; the one-active-workflow rule held (the second start was the 409 it expects).
            let projects = try await server.count("SELECT count(*) FROM projects")
            let sessions = try await server.count("SELECT count(*) FROM workflow_sessions")
            XCTAssertEqual(projects, created)
            XCTAssertEqual(sessions, started)
            let doublyActive = try await server.count("SELECT count(*) FROM (SELECT project_id FROM workflow_sessions WHERE is_active GROUP BY project_id HAVING count(*) > 1) t")
            XCTAssertEqual(doublyActive, 0)
            XCTAssertEqual(steps["start it again"]?.statusClasses["4xx"], steps["start it again"]?.requests)
            XCTAssertEqual(steps["start it again"]?.errors.total, 0, "an expected 409 is no error")
            // Each journey reads its status twice; the users' last journeys may be cut off by the end.
            XCTAssertEqual(steps["read status"]?.requests ?? 0, 2 * (steps["start it again"]?.requests ?? 0), accuracy: 2 * 4)
            XCTAssertEqual(load.errors.total, 0)

            // Values went forward: every status read and project read named a row the journey made,
            // every request of a journey carried one trace ID, and the extracted name went out as a header.
            let log = try String(contentsOfFile: try XCTUnwrap(server.serverLog), encoding: .utf8)
            let requests = log.split(separator: "\n").compactMap { line -> [String: String]? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["message"] as? String == "request" else { return nil }
                return object.compactMapValues { $0 as? String }
            }
            let statusPaths = requests.compactMap(\.["path"]).filter { $0.hasSuffix("/status") }
            XCTAssertEqual(statusPaths.count, steps["read status"]?.requests)
            let sessionIDs = Set(statusPaths.map { $0.split(separator: "/")[3] }.map(String.init))
            let known = try await server.count("SELECT count(*) FROM workflow_sessions WHERE id::text IN (\(sessionIDs.map { "'\($0)'" }.joined(separator: ",")))")
            XCTAssertEqual(known, sessionIDs.count, "every session read is one the journey started")
            XCTAssertEqual(sessionIDs.count, steps["read status"].map { ($0.requests + 1) / 2 } ?? 0, accuracy: 4)
            let byTrace = Dictionary(grouping: requests.filter { $0["trace_id"] != nil }, by: { $0["trace_id"]! })
            XCTAssertEqual(byTrace.values.filter { $0.count == 6 }.count, journeys.completed, "a completed journey is one trace of its six requests")
            XCTAssertTrue(byTrace.values.allSatisfy { $0.count <= 6 })
            for trace in byTrace.values where trace.count == 6 {
                let created = trace.first { $0["method"] == "POST" && $0["path"] == "/api/v1/projects" }
                XCTAssertNotNil(created)
                XCTAssertEqual(Set(trace.compactMap { $0["path"] }.filter { $0.hasPrefix("/api/v1/projects/") }).count, 1)
            }
        }
    }

    /// The default suite's journey, scaled down: its steps in the breakdown, no failed journey, and
    /// the report's terminal and HTML forms show the journeys.
    func testTheDefaultSuitesWorkflowJourney() async throws {
        try await ReferenceServer.with { server in
            let result = try await server.run("workflow_journey", scale: 0.2)
            let journeys = try XCTUnwrap(result.load?.journeys)
            XCTAssertGreaterThan(journeys.completed, 0)
            XCTAssertEqual(journeys.failed, 0, "\(journeys.failedAtStep)")
            XCTAssertTrue(result.passed, "\(result.violations.map(\.message))")
            XCTAssertEqual(result.analysis?.breakdown.map(\.endpoint), ["create project", "start workflow", "read workflow status", "list project workflows"])
            let report = SuiteReport(
                schemaVersion: SuiteReport.currentSchemaVersion, interrupted: false,
                summary: .init(startTime: Date(), endTime: Date(), totalScenarios: 1, passed: 1, failed: 0),
                environment: .current(target: server.summary, configuration: "built-in", scale: 0.2, postgresVersion: nil, serverLog: nil),
                scenarios: [result])
            XCTAssertTrue(CorrelationText.render(report).contains("journeys: \(journeys.completed) completed, 0 failed"))
            XCTAssertTrue(HTMLReport.render(report).contains("<h3>Journeys</h3>"))
            let data = try ReportCoding.encoder.encode(report)
            let validator = try JSONSchemaValidator(schemaFile: ReportOutputTests.packageRoot.appendingPathComponent("schemas/report.schema.json"))
            XCTAssertEqual(try validator.failures(of: data).map(\.description), [])
            XCTAssertEqual(try ReportCoding.decoder.decode(SuiteReport.self, from: data).scenarios.first?.load?.journeys, journeys)
        }
    }
}
