import Foundation
import LoadEngine
import PerfSuite
import XCTest
import TargetMonitoring

/// The original suite's nine load tests, by the same names, against a real server process on a real
/// PostgreSQL. Each asserts what its name promises with the original's (generous) thresholds; none
/// depends on this machine being fast, and none judges CPU, which depends on it.
final class LoadTestingTests: XCTestCase {
    /// 20 users x 50 requests on the health endpoint: every request counted, answered and timed.
    func testHealthEndpointLoad() async throws {
        try await ReferenceServer.with { server in
            let result = try await server.run("health_load")
            XCTAssertEqual(result.totalRequests, 1000)
            XCTAssertEqual(result.successRatePercent, 100)
            XCTAssertLessThan(result.averageResponseTimeMs, 1000)
            XCTAssertGreaterThan(result.requestsPerSecond, 10)
            let endpoint = try XCTUnwrap(result.load?.endpoints.first)
            XCTAssertEqual(endpoint.server.timedResponses, 1000, "every response carries Server-Timing")
            XCTAssertEqual(endpoint.statusClasses["2xx"], 1000)
            XCTAssertTrue(result.violations.allSatisfy { $0.metric == "max_cpu_percent" }, "\(result.thresholdViolations)")
        }
    }

    /// 15 users x 20 requests on the projects list: answered from the database, with its time reported.
    func testProjectsListLoad() async throws {
        try await ReferenceServer.with { server in
            let result = try await server.run("projects_load")
            XCTAssertEqual(result.totalRequests, 300)
            XCTAssertGreaterThanOrEqual(result.successRatePercent, 95)
            let breakdown = try XCTUnwrap(result.analysis?.breakdown.first)
            XCTAssertGreaterThanOrEqual(breakdown.queriesPerRequest, 1, "the list runs its queries on PostgreSQL")
            XCTAssertGreaterThan(breakdown.database.p50, 0)
            XCTAssertLessThanOrEqual(breakdown.database.mean, breakdown.app.mean)
            XCTAssertLessThan(result.averageResponseTimeMs, 1000)
        }
    }

    /// 10 users x 5 creates: 50 answers of 201 and exactly 50 new rows.
    func testProjectCreationLoad() async throws {
        try await ReferenceServer.with { server in
            let before = try await server.count("SELECT count(*) FROM projects")
            let result = try await server.run("project_creation_load")
            let after = try await server.count("SELECT count(*) FROM projects")
            XCTAssertEqual(result.totalRequests, 50)
            XCTAssertEqual(result.load?.statusClasses["2xx"]?.count, 50)
            XCTAssertEqual(after - before, 50, "every 201 is a row, and no row exists without its 201")
        }
    }

    /// A sudden jump to 100 users and back: every phase measured, and the server recovers after it.
    func testSpikeTesting() async throws {
        try await ReferenceServer.with { server in
            let result = try await server.run("health_spike", scale: 0.3)
            XCTAssertEqual(result.phases.map(\.name), ["baseline", "spike", "recovery"])
            for phase in result.phases { XCTAssertGreaterThan(phase.requests, 0, "phase \(phase.name) had no requests") }
            let recovery = try XCTUnwrap(result.phases.last)
            XCTAssertLessThanOrEqual(recovery.errorRatePercent, 20, "the server answers again after the spike")
            XCTAssertGreaterThanOrEqual(result.successRatePercent, 80)
            XCTAssertLessThan(result.averageResponseTimeMs, 3000)
        }
    }

    /// The projects list served from the seeded 1000-project dataset (really served: `total` says so).
    func testVolumeTesting() async throws {
        try await ReferenceServer.with { server in
            let result = try await server.run("projects_volume")
            let rows = try await server.count("SELECT count(*) FROM projects")
            XCTAssertEqual(rows, 1000)
            let response = try await HTTPFetch.send("GET", server.target.description + "/api/v1/projects?limit=1")
            XCTAssertTrue(response.text.contains(#""total":1000"#), response.text)
            XCTAssertEqual(result.totalRequests, 300)
            XCTAssertGreaterThanOrEqual(result.successRatePercent, 90)
            XCTAssertLessThan(result.averageResponseTimeMs, 2000)
        }
    }

    /// 5 users for the scenario's duration (a quarter of the original 60 s here): it runs for that
    /// long, second after second, without errors.
    func testEnduranceTesting() async throws {
        try await ReferenceServer.with { server in
            let result = try await server.run("endurance_test", scale: 0.25)
            XCTAssertGreaterThanOrEqual(result.durationSeconds, 14.5)
            XCTAssertLessThan(result.durationSeconds, 20)
            let seconds = try XCTUnwrap(result.load?.seconds)
            XCTAssertGreaterThanOrEqual(seconds.count, 14, "a window for every second")
            XCTAssertTrue(seconds.allSatisfy { $0.requests > 0 }, "requests in every second")
            XCTAssertEqual(result.load?.errors.total, 0)
            XCTAssertGreaterThan(result.requestsPerSecond, 8)
        }
    }

    /// 20 users x 100 requests: the server process's memory is measured (not the test's) and stays under 150 MB.
    func testMemoryUsageUnderLoad() async throws {
        try await ReferenceServer.with { server in
            let result = try await server.run("memory_test")
            let series = try XCTUnwrap(result.serverResources)
            XCTAssertEqual(series.source, "proc")
            XCTAssertGreaterThanOrEqual(series.samples.count, 1)
            let now = try XCTUnwrap(server.statistics)
            XCTAssertEqual(series.finalMemoryMB, Double(now.residentBytes) / 1_048_576, accuracy: 20, "the series follows the server's own RSS")
            XCTAssertLessThan(try XCTUnwrap(result.maxMemoryMB), 150)
        }
    }

    /// Fifteen users over four endpoints at once: each endpoint measured on its own, each answered.
    func testConcurrentDifferentEndpoints() async throws {
        try await ReferenceServer.with { server in
            let configuration = try SuiteConfiguration.builtIn()
            var scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "health_load" })
            scenario.key = "mixed_endpoints"
            scenario.endpoints = ["health", "projects_list", "workflows_list", "project_create"].map { EndpointShare(name: $0, weight: 1) }
            scenario.load = .requests(users: 15, requestsPerUser: 20)
            let result = try await server.run(scenario, configuration: configuration)
            let endpoints = try XCTUnwrap(result.load?.endpoints)
            XCTAssertEqual(Set(endpoints.map(\.name)).count, 4)
            XCTAssertEqual(endpoints.reduce(0) { $0 + $1.requests }, 300)
            for endpoint in endpoints {
                XCTAssertGreaterThan(endpoint.requests, 0, endpoint.name)
                XCTAssertEqual(endpoint.statusClasses["2xx"], endpoint.requests, "\(endpoint.name): \(endpoint.statusClasses)")
            }
            let created = endpoints.first { $0.name.contains("POST") }?.requests ?? 0
            let rows = try await server.count("SELECT count(*) FROM projects")
            XCTAssertEqual(rows, created)
        }
    }

    /// Real 5xx answers from the server's fault switch under load, then recovery once it is off.
    func testErrorRecoveryUnderLoad() async throws {
        try await ReferenceServer.with(faults: true) { server in
            let plan = server.plan([.get("/api/v1/projects/")], .closedRequests(users: 10, totalRequests: 1000))
            try await server.setFaults(#"{"error_rate": 0.3}"#)
            let failing = try await LoadRun.run(plan)
            try await server.clearFaults()
            let recovered = try await LoadRun.run(plan)
            let failed = Double(failing.errors[.http5xx]) / Double(failing.totalRequests)
            XCTAssertEqual(failed, 0.3, accuracy: 0.08, "about 30% answered 5xx")
            XCTAssertEqual(failing.errors.transport, 0, "errors are answers, not broken connections")
            XCTAssertEqual(recovered.errors.total, 0, "after the fault the server answers every request")
            XCTAssertEqual(recovered.successRatePercent, 100)
        }
    }
}
