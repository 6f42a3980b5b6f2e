import PerfSuite
import XCTest

/// The scenario file: the original's ten scenarios built in, and every bad file named precisely.
final class ConfigurationTests: XCTestCase {
    func testBuiltInHasTheOriginalTenScenariosAJourneyAndADatabaseLimit() throws {
        let configuration = try SuiteConfiguration.builtIn()
        XCTAssertEqual(configuration.scenarios.map(\.key), [
            "health_load", "health_stress", "health_spike", "projects_load", "projects_volume", "project_creation_load", "workflow_load",
            "endurance_test", "memory_test", "cpu_test", "workflow_journey", "projects_database_limit",
        ])
        let byKey = Dictionary(uniqueKeysWithValues: configuration.scenarios.map { ($0.key, $0) })
        let journeyScenario = try XCTUnwrap(byKey["workflow_journey"])
        let journey = try XCTUnwrap(journeyScenario.journey)
        XCTAssertEqual(journey.steps.map(\.name), ["create project", "start workflow", "read workflow status", "list project workflows"])
        XCTAssertEqual(journey.steps.map(\.repeats), [1, 1, 3, 1])
        XCTAssertEqual(configuration.loadEndpoints(for: journeyScenario).map(\.name), journey.steps.map(\.name))
        // `archmesh run --list`: a journey is named by its steps, the rest by their endpoints.
        let listing = SummaryTable.list(configuration.scenarios, configuration: configuration).split(separator: "\n")
        XCTAssertTrue(listing.contains { $0.hasPrefix("workflow_journey") && $0.hasSuffix("on a journey: create project, start workflow, read workflow status, list project workflows") }, "\(listing)")
        XCTAssertTrue(listing.contains { $0.hasPrefix("projects_database_limit database") && $0.hasSuffix("20 users for 10s on GET /api/v1/projects/") }, "\(listing)")
        let limit = try XCTUnwrap(byKey["projects_database_limit"])
        XCTAssertEqual(limit.type, .database)
        XCTAssertEqual(limit.fixedUsers, 20)
        XCTAssertEqual(limit.database, DatabaseLoadExpectation(minRatio: nil))
        XCTAssertEqual(byKey["health_load"]?.load, .requests(users: 20, requestsPerUser: 50))
        XCTAssertEqual(byKey["projects_volume"]?.dataset?.projects, 1000)
        XCTAssertEqual(byKey["endurance_test"]?.severity, .critical)
        XCTAssertEqual(byKey["cpu_test"]?.thresholds.maxCPUPercent, 60)
        XCTAssertEqual(byKey["memory_test"]?.thresholds.maxMemoryMB, 150)
        XCTAssertEqual(byKey["health_spike"]?.phases().map(\.name), ["baseline", "spike", "recovery"])
    }

    func testBadFilesNameTheFileThePlaceAndTheProblem() {
        let cases: [(String, String, String)] = [
            ("scenarios: [ {key: a", "line", "YAML syntax"),
            ("thresholds: {}\nendpoints: {}\nscenarios:\n  - key: a\n    users: many\n", "scenarios[0]", ""),
            ("thresholds: {}\nendpoints: {h: {method: FETCH, path: /x}}\nscenarios: []\n", "endpoints.h.method", "FETCH"),
            ("thresholds: {}\nendpoints: {}\nscenarios: []\nextra: 1\n", "extra", ""),
        ]
        for (text, place, word) in cases {
            XCTAssertThrowsError(try SuiteConfiguration.parse(text, file: "bad.yaml"), text) { error in
                let description = String(describing: error)
                XCTAssertTrue(error is ConfigurationError, description)
                XCTAssertTrue(description.hasPrefix("bad.yaml: "), description)
                XCTAssertTrue(description.contains(place), "\(description) should name \(place)")
                if !word.isEmpty { XCTAssertTrue(description.localizedCaseInsensitiveContains(word) || description.contains("line"), description) }
            }
        }
    }

    func testSemanticErrorsNameLineAndColumn() {
        let text = """
            thresholds:
              load: {max_average_ms: 1000}
            endpoints:
              health: {method: GET, path: /api/v1/health}
            scenarios:
              - key: a
                type: load
                severity: medium
                endpoints: [health]
                users: -3
                requests_per_user: 5
            """
        XCTAssertThrowsError(try SuiteConfiguration.parse(text, file: "bad.yaml")) { error in
            XCTAssertEqual(String(describing: error), "bad.yaml: scenarios[0].users (line 10, column 12): must be between 1 and 100000, got -3")
        }
        XCTAssertThrowsError(try SuiteConfiguration.parse(text.replacingOccurrences(of: "users: -3", with: "userz: 3"), file: "bad.yaml")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("bad.yaml: scenarios[0].userz (line 10, column 5): unknown key"), "\(error)")
        }
    }

    /// At any scale, a spike's reported phases are the stages of the ramp that runs, even where the
    /// shortest stage is held at its floor of a tenth of a second.
    func testSpikePhasesAgreeWithTheRampAtSmallScales() throws {
        let spike = try XCTUnwrap(SuiteConfiguration.builtIn().scenarios.first { $0.key == "health_spike" })
        for scale in [1, 0.1, 0.05, 0.01, 0.001] {
            guard case .rampingUsers(let ramp, _) = spike.loadModel(scale: scale) else { return XCTFail("not a ramp") }
            let phases = spike.phases(scale: scale)
            XCTAssertEqual(phases.last?.end ?? 0, ramp.duration.seconds, accuracy: 1e-9, "scale \(scale)")
            XCTAssertEqual(phases[1].start, ramp.stages[0].duration.seconds, accuracy: 1e-9, "scale \(scale)")
        }
    }

    func testMissingFileIsAClearError() {
        XCTAssertThrowsError(try SuiteConfiguration.load(path: "/nonexistent/scenarios.yaml")) { error in
            XCTAssertEqual(String(describing: error), "/nonexistent/scenarios.yaml: file: cannot be read (does it exist?)")
        }
    }

    func testSelectionByKeyTypeAndSeverity() throws {
        let configuration = try SuiteConfiguration.builtIn()
        XCTAssertEqual(try ScenarioSelection(type: .spike).apply(to: configuration).map(\.key), ["health_spike"])
        XCTAssertEqual(try ScenarioSelection(severity: .critical).apply(to: configuration).map(\.key), ["endurance_test"])
        XCTAssertEqual(try ScenarioSelection(keys: ["cpu_test", "health_load"]).apply(to: configuration).map(\.key), ["health_load", "cpu_test"])
        XCTAssertThrowsError(try ScenarioSelection(keys: ["nope"]).apply(to: configuration)) { error in
            XCTAssertTrue(String(describing: error).contains("unknown scenario nope; valid: health_load, health_stress"), "\(error)")
        }
        XCTAssertThrowsError(try ScenarioSelection(type: .spike, severity: .low).apply(to: configuration))
    }

    func testThresholdsNameEachViolation() {
        let thresholds = Thresholds(maxAverageMs: 100, maxP95Ms: 200, minRPS: 10, maxCPUPercent: 50, maxMemoryMB: 100, minSuccessPercent: 95, maxErrorRatePercent: 5)
        let fine = JudgedFigures(averageMs: 50, p95Ms: 150, requestsPerSecond: 20, maxCPUPercent: 40, maxMemoryMB: 80, successPercent: 99, errorRatePercent: 1)
        XCTAssertEqual(thresholds.violations(of: fine), [])
        let bad = JudgedFigures(averageMs: 150, p95Ms: 250, requestsPerSecond: 5, maxCPUPercent: 60, maxMemoryMB: 120, successPercent: 90, errorRatePercent: 10)
        XCTAssertEqual(Set(thresholds.violations(of: bad).map(\.metric)), [
            "average_response_time_ms", "p95_response_time_ms", "requests_per_second", "max_cpu_percent", "max_memory_mb", "success_rate_percent",
            "error_rate_percent",
        ])
        let unmeasured = JudgedFigures(averageMs: 50, p95Ms: 150, requestsPerSecond: 20, maxCPUPercent: nil, maxMemoryMB: nil, successPercent: 99, errorRatePercent: 1)
        XCTAssertEqual(thresholds.violations(of: unmeasured), [], "a figure that could not be measured is not a violation")
    }
}
