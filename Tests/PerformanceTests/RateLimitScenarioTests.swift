import Foundation
import LoadEngine
import PerfSuite
import TestSupport
import XCTest

/// The `rate_limit` scenario type against the reference server's own limiter: the limit it
/// observes, the headers it checks, users that wait out `Retry-After`, and a server with no limit.
final class RateLimitScenarioTests: XCTestCase {
    func scenario(_ block: String, load: String = "rate: 60\nduration: 8s\nmax_in_flight: 100") throws -> (Scenario, SuiteConfiguration) {
        let text = """
            thresholds: {}
            endpoints: {health: {method: GET, path: /api/v1/health}}
            scenarios:
              - key: api_rate_limit
                type: rate_limit
                severity: high
                endpoints: [health]
            \((load + "\n" + block).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        let configuration = try SuiteConfiguration.parse(text, file: "rate-limit.yaml")
        return (configuration.scenarios[0], configuration)
    }

    /// 60 requests/s (an open model) against a limit of 20/s with a burst of 20, for 8 s: the
    /// accepted rate after the first refusal is the limit within 10%, every refusal says when to
    /// come back, and the headers agree.
    func testTheObservedLimitIsTheConfiguredOne() async throws {
        try await ReferenceServer.with(rateLimit: ("20/s", 20)) { server in
            let (scenario, configuration) = try scenario("rate_limit: {limit: 20/s, tolerance: 10%}")
            let result = try await server.run(scenario, configuration: configuration)
            let observation = try XCTUnwrap(result.rateLimit)
            let summary = try XCTUnwrap(result.load?.rateLimit)
            let observed = try XCTUnwrap(observation.observedLimit, "\(observation.checks)")
            XCTAssertEqual(observed, 20, accuracy: 2, "observed \(observed)/s over \(observation.secondsObserved) s: \(observation.acceptedPerSecond)")
            XCTAssertGreaterThanOrEqual(observation.secondsObserved, 5)
            XCTAssertTrue(result.passed, "\(result.violations.map(\.message))")
            XCTAssertEqual(observation.checks.filter { !$0.held }, [])
            XCTAssertEqual(Set(observation.checks.map(\.metric)), [
                "rate_limit_observed_rps", "rate_limit_server_errors", "rate_limit_retry_after_missing", "rate_limit_ratelimit_missing",
                "rate_limit_inconsistent_headers",
            ])
            XCTAssertGreaterThan(summary.refused, 100)
            XCTAssertEqual(summary.refusedWithRetryAfter, summary.refused)
            XCTAssertEqual(summary.refusedWithRateLimit, summary.refused)
            XCTAssertEqual(summary.inconsistent, 0)
            XCTAssertEqual(summary.answersWithRateLimit, result.totalRequests, "every answer of a limited route carries RateLimit")
            XCTAssertEqual(summary.answersWithPolicy, result.totalRequests)
            XCTAssertEqual(summary.retryAfterSecondsMin, 1, "the next token of 20/s is within a second")
            let first = try XCTUnwrap(summary.firstRefusalSeconds)
            XCTAssertLessThan(first, 2, "the burst of 20 lasts well under a second at 60/s, plus what refills")
            XCTAssertEqual(summary.refused, result.load?.errors[.http4xx])
            XCTAssertEqual(observation.refusedPercent, Double(summary.refused) * 100 / Double(result.totalRequests), accuracy: 1e-9)
            XCTAssertEqual(observation.acceptedPerSecond.reduce(0, +), result.load?.successfulRequests)

            let report = SuiteReport(
                schemaVersion: SuiteReport.currentSchemaVersion, interrupted: false,
                summary: .init(startTime: Date(), endTime: Date(), totalScenarios: 1, passed: 1, failed: 0),
                environment: .current(target: server.summary, configuration: "rate-limit.yaml", scale: 1, postgresVersion: nil, serverLog: nil),
                scenarios: [result])
            let text = CorrelationText.render(report)
            XCTAssertTrue(text.contains("observed limit"), text)
            XCTAssertTrue(text.contains("held: Observed limit"), text)
            XCTAssertTrue(HTMLReport.render(report).contains("Accepted answers per second"))
            let data = try ReportCoding.encoder.encode(report)
            let validator = try JSONSchemaValidator(schemaFile: ReportOutputTests.packageRoot.appendingPathComponent("schemas/report.schema.json"))
            XCTAssertEqual(try validator.failures(of: data).map(\.description), [])
            let decoded = try ReportCoding.decoder.decode(SuiteReport.self, from: data)
            XCTAssertEqual(decoded.scenarios.first?.rateLimit, observation)
        }
    }

    /// Users that wait out each 429's Retry-After: their next requests are counted apart, and the
    /// accepted rate stays the limit.
    func testUsersThatWaitOutRetryAfterAreCountedApart() async throws {
        try await ReferenceServer.with(rateLimit: ("10/s", 10)) { server in
            let (scenario, configuration) = try scenario(
                "rate_limit: {limit: 10/s, tolerance: 20%, respect_retry_after: true}", load: "users: 16\nduration: 6s")
            let result = try await server.run(scenario, configuration: configuration)
            let summary = try XCTUnwrap(result.load?.rateLimit)
            XCTAssertGreaterThan(summary.refused, 0)
            XCTAssertGreaterThan(summary.afterWaitAccepted + summary.afterWaitRefused, 0, "\(summary)")
            XCTAssertGreaterThan(summary.afterWaitAccepted, 0, "some of the requests after a wait were let through: \(summary)")
            // A user waits a second after each refusal: far fewer requests than 16 users back to back.
            let accepted = result.load?.successfulRequests ?? 0
            XCTAssertLessThanOrEqual(Double(accepted), 10 + 10 * (result.load?.durationSeconds ?? 0) + 1)
            XCTAssertLessThan(summary.refused, accepted * 4, "waiting users do not hammer the limit: \(summary.refused) refused, \(accepted) accepted")
        }
    }

    /// The same scenario against a server without a limit: nothing refused, and the scenario says
    /// so and fails.
    func testNoLimitIsReportedAsSuchAndFails() async throws {
        try await ReferenceServer.with { server in
            let (scenario, configuration) = try scenario("rate_limit: {limit: 20/s}", load: "rate: 40\nduration: 3s\nmax_in_flight: 100")
            let result = try await server.run(scenario, configuration: configuration)
            XCTAssertFalse(result.passed)
            let observation = try XCTUnwrap(result.rateLimit)
            XCTAssertNil(observation.observedLimit)
            XCTAssertNil(result.load?.rateLimit, "no sign of a limit at all")
            let broken = try XCTUnwrap(result.violations.first { $0.metric == "rate_limit_observed_rps" })
            XCTAssertTrue(broken.message.hasPrefix("No limit observed"), broken.message)
            XCTAssertTrue(broken.message.contains("none refused"), broken.message)
            XCTAssertEqual(result.violations.count, 1, "no 5xx, and no refusal whose headers could be missing: \(result.violations)")
        }
    }
}
