import Foundation
import PerfSuite
import TestSupport
import XCTest

/// Objectives over sliding windows, their budgets, and abort-on-fail, against the reference server
/// with a stall or errors of known time.
final class ObjectiveTests: XCTestCase {
    func scenario(_ body: String) throws -> (Scenario, SuiteConfiguration) {
        let text = """
            thresholds: {load: {}}
            endpoints: {live: {method: GET, path: /health/live}}
            scenarios:
              - key: objectives
                type: load
                severity: high
                endpoints: [live]
            \(body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        let configuration = try SuiteConfiguration.parse(text, file: "objectives.yaml")
        return (configuration.scenarios[0], configuration)
    }

    /// A 1.5 s stall two seconds into an 8 s run at 50 requests/s: the whole run's median holds,
    /// 2 s windows around the stall break p99<300ms, and the run used far more than p99's 1% budget.
    func testAStallBreaksTheWindowsAroundItAndNotTheWholeRunsMedian() async throws {
        try await ReferenceServer.with(faults: true) { server in
            let (scenario, configuration) = try scenario("""
                rate: 50
                duration: 8s
                max_in_flight: 200
                objectives:
                  - p50<300ms
                  - {slo: 'p99<300ms', window: 2s}
                """)
            try await server.setFaults(#"{"stall_ms": 1500, "stall_after_ms": 2500, "path_prefix": "/health/live"}"#)
            let result = try await server.run(scenario, configuration: configuration)
            let whole = result.objectives[0], windowed = result.objectives[1]
            XCTAssertTrue(whole.met, "\(whole)")
            XCTAssertNil(whole.windowSeconds)
            XCTAssertFalse(windowed.met, "\(windowed)")
            XCTAssertEqual(windowed.windowSeconds, 2)
            XCTAssertGreaterThan(windowed.windowsJudged, 5)
            let broken = try XCTUnwrap(windowed.brokenWindows.first)
            XCTAssertEqual(windowed.brokenWindows.count, 1, "one stall, one stretch of broken windows: \(windowed.brokenWindows)")
            XCTAssertLessThan(windowed.windowsBroken, windowed.windowsJudged, "the windows away from the stall held")
            XCTAssertGreaterThanOrEqual(broken.worst ?? .infinity, 300)
            XCTAssertLessThanOrEqual(broken.startSecond, 4)
            XCTAssertGreaterThanOrEqual(broken.endSecond, 4)
            XCTAssertGreaterThan(try XCTUnwrap(windowed.budgetBurntPercent), 100, "far more than 1% of the requests waited over 300 ms")
            XCTAssertFalse(result.passed)
            XCTAssertTrue(result.violations.contains { $0.metric == "objective p99<300ms per 2s" }, "\(result.violations)")
            XCTAssertNil(result.aborted)
        }
    }

    /// Every request fails from the start: errors<10% per 1 s window, abort on fail after 1 s of
    /// grace, stops a 30 s scenario within seconds, marked aborted, with a report that is whole.
    func testAbortOnFailStopsTheScenarioEarlyWithAValidReport() async throws {
        try await ReferenceServer.with(faults: true) { server in
            let (scenario, configuration) = try scenario("""
                rate: 40
                duration: 30s
                objectives:
                  - {slo: 'errors<10%', window: 1s, abort_on_fail: true, grace: 1s}
                """)
            try await server.setFaults(#"{"error_rate": 1, "path_prefix": "/health/live"}"#)
            let result = try await server.run(scenario, configuration: configuration)
            let reason = try XCTUnwrap(result.aborted, "\(result.errors)")
            XCTAssertTrue(reason.contains("errors<10%"), reason)
            XCTAssertLessThan(result.durationSeconds, 10, "stopped early, not after its 30 s")
            XCTAssertFalse(result.interrupted, "aborted by an objective, not interrupted")
            XCTAssertFalse(result.passed)
            XCTAssertTrue(result.violations.contains { $0.metric == "aborted" })
            // The report of an aborted scenario is whole: it matches the schema.
            let report = SuiteReport(
                schemaVersion: SuiteReport.currentSchemaVersion, interrupted: false,
                summary: .init(startTime: Date(), endTime: Date(), totalScenarios: 1, passed: 0, failed: 1),
                environment: .current(target: server.summary, configuration: "objectives.yaml", scale: 1, postgresVersion: nil, serverLog: nil),
                scenarios: [result])
            let validator = try JSONSchemaValidator(schemaFile: ReportOutputTests.packageRoot.appendingPathComponent("schemas/report.schema.json"))
            XCTAssertEqual(try validator.failures(of: try ReportCoding.encoder.encode(report)).map(\.description), [])
        }
    }
}
