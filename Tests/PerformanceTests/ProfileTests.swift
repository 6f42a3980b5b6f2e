import Foundation
import PerfSuite
import TestSupport
import XCTest

/// `--profile` on the reference server: perf's samples of the server process, folded with Swift
/// names demangled, drawn as a flame graph, the top frames listed; without perf, a line says so
/// and the scenario runs as it would have.
final class ProfileTests: XCTestCase {
    func testTheServerIsProfiledAndDrawnAsAFlameGraph() async throws {
        try await ReferenceServer.with { server in
            let configuration = try SuiteConfiguration.builtIn()
            let scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "health_stress" })
            let result = try await server.run(scenario, configuration: configuration, scale: 0.4, profile: true)
            let profile = try XCTUnwrap(result.profile, "\(result.errors)")
            XCTAssertGreaterThan(profile.samples, 50)
            XCTAssertEqual(profile.frequencyHz, ServerProfiler.defaultFrequencyHz)
            XCTAssertFalse(profile.topSelf.isEmpty)
            XCTAssertEqual(profile.topTotal.first?.percent ?? 0, 100, accuracy: 30, "the root frames are in most stacks")
            XCTAssertEqual(profile.stacks.reduce(0) { $0 + $1.samples } <= profile.samples, true)
            let names = profile.stacks.flatMap { $0.frames.split(separator: ";") }
            XCTAssertTrue(names.contains { $0.contains("HealthController") || $0.contains("Hummingbird") || $0.contains("NIO") }, "Swift frames, demangled: \(profile.topTotal.map(\.name))")
            XCTAssertFalse(profile.topSelf.contains { $0.name.hasPrefix("$s") }, "no mangled name among the top frames: \(profile.topSelf.map(\.name))")
            let report = SuiteReport(
                schemaVersion: SuiteReport.currentSchemaVersion, interrupted: false,
                summary: .init(startTime: Date(), endTime: Date(), totalScenarios: 1, passed: 1, failed: 0),
                environment: .current(target: server.summary, configuration: "built-in", scale: 0.4, postgresVersion: nil, serverLog: nil),
                scenarios: [result])
            let html = HTMLReport.render(report)
            XCTAssertTrue(html.contains("<svg class=\"flame\"") && html.contains("<title>"), "a flame graph with hover titles")
            XCTAssertFalse(html.contains("<script"))
            XCTAssertTrue(CorrelationText.render(report).contains("server profile (perf"))
            let data = try ReportCoding.encoder.encode(report)
            let validator = try JSONSchemaValidator(schemaFile: ReportOutputTests.packageRoot.appendingPathComponent("schemas/report.schema.json"))
            XCTAssertEqual(try validator.failures(of: data).map(\.description), [])
            XCTAssertEqual(try ReportCoding.decoder.decode(SuiteReport.self, from: data).scenarios.first?.profile, profile)
        }
    }

    func testWithoutPerfTheRunGoesOnUnprofiled() async throws {
        try await ReferenceServer.with { server in
            let configuration = try SuiteConfiguration.builtIn()
            let scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "health_load" })
            let result = try await server.run(scenario, configuration: configuration, scale: 0.2, profile: true, perf: "/nonexistent/perf")
            XCTAssertNil(result.profile)
            XCTAssertTrue(result.errors.contains("profile not taken: /nonexistent/perf is not an executable"), "\(result.errors)")
            XCTAssertEqual(result.load?.totalRequests, 200)
        }
    }
}
