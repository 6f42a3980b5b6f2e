import ArchMeshDatabase
import Foundation
import LoadEngine
import PerfSuite
import TestSupport
import XCTest

/// Faults from outside the server: PostgreSQL going away, the server dying, a spike of creates.
/// Nothing hangs, nothing is lost, and the report says what happened.
final class FaultSurvivalTests: XCTestCase {
    /// PostgreSQL stopped for three seconds under an open-model load: the server answers 503 at
    /// once instead of hanging, answers 200 again by itself once PostgreSQL is back, and the report
    /// shows one error window around the outage.
    func testPostgresOutageAnswers503QuicklyAndRecovers() async throws {
        let cluster = try await EmbeddedCluster.start(logger: TestDatabase.logger)
        do {
            try await ReferenceServer.with(database: cluster.url) { server in
                let configuration = try SuiteConfiguration.builtIn()
                var scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "projects_load" })
                scenario.load = .rate(rate: 100, duration: .seconds(12), maxInFlight: 200)
                let started = ContinuousClock.now
                let outage = Task {
                    try await Task.sleep(for: .seconds(3))
                    let down = ContinuousClock.now - started
                    await cluster.interrupt()
                    try await Task.sleep(for: .seconds(3))
                    try await cluster.resume()
                    return (down, ContinuousClock.now - started)
                }
                let result = try await server.run(scenario, configuration: configuration)
                let (down, up) = try await outage.value
                let load = try XCTUnwrap(result.load)
                let unavailable = try XCTUnwrap(load.statusClasses["5xx"], "503s while PostgreSQL was down")
                XCTAssertGreaterThan(unavailable.count, 50)
                XCTAssertLessThan(unavailable.p50, 100, "503s come at once, not after a hang")
                XCTAssertLessThanOrEqual(unavailable.max, 5000, "none waits much longer than the pool's 2 s acquire timeout")
                XCTAssertEqual(load.errors.transport, 0, "no request hung until its timeout or lost its connection")
                let windows = try XCTUnwrap(result.analysis?.timeline.errorWindows)
                XCTAssertEqual(windows.count, 1, "one outage window: \(windows)")
                let window = try XCTUnwrap(windows.first)
                XCTAssertGreaterThanOrEqual(Double(window.startSecond), down.seconds - 1.5)
                XCTAssertLessThanOrEqual(Double(window.endSecond), up.seconds + 3, "recovered within a few seconds of PostgreSQL's return")
                let tail = load.seconds.suffix(3)
                XCTAssertTrue(tail.allSatisfy { $0.errors == 0 }, "the last seconds are clean: \(tail.map(\.errors))")
                print("outage: PostgreSQL down at \(down.seconds) s, up at \(up.seconds) s; errors in seconds \(window.startSecond)..<\(window.endSecond); 5xx p50 \(unavailable.p50) ms, p99 \(unavailable.p99) ms")
            }
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    /// The server killed in the middle of a run: the harness counts the failures, finishes the
    /// scenario and writes its report.
    func testServerKilledMidRunStillFinishesAndReports() async throws {
        try await ReferenceServer.with { server in
            let configuration = try SuiteConfiguration.builtIn()
            var scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "endurance_test" })
            scenario.load = .duration(users: 5, duration: .seconds(4), thinkTime: .milliseconds(5))
            var options = SuiteRunner.Options()
            let reportFile = server.directory.appendingPathComponent("killed.json")
            options.outputPath = reportFile.path
            let killer = Task {
                try await Task.sleep(for: .milliseconds(1500))
                await server.process.kill()
            }
            let runner = SuiteRunner(configuration: configuration, scenarios: [scenario], environment: server, options: options, logger: TestDatabase.logger)
            let report = await runner.run()
            try await killer.value
            let result = try XCTUnwrap(report.scenarios.first)
            XCTAssertTrue(result.errors.contains { $0.contains("connect") || $0.contains("read") }, "the failures are listed: \(result.errors)")
            XCTAssertGreaterThan(result.totalRequests, 0)
            let load = try XCTUnwrap(result.load)
            XCTAssertGreaterThan(load.errors.transport, 0, "the dead server's requests are counted as failures")
            XCTAssertGreaterThan(load.successfulRequests, 0, "the answers before the kill are kept")
            XCTAssertGreaterThanOrEqual(load.durationSeconds, 3.5, "the scenario ran to its end")
            let written = try SuiteReport.read(from: reportFile.path)
            XCTAssertEqual(written.scenarios.first?.totalRequests, result.totalRequests)
        }
    }

    /// A spike of concurrent creates: every 201 is a row, and no row exists without its 201.
    func testEveryCreatedProjectIsARowUnderASpike() async throws {
        try await ReferenceServer.with { server in
            let configuration = try SuiteConfiguration.builtIn()
            var scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "health_spike" })
            scenario.endpoints = [EndpointShare(name: "project_create")]
            scenario.load = .spike(
                peak: 60,
                shape: SpikeShape(baselineUsers: 4, baseline: .seconds(1), ramp: .milliseconds(300), hold: .seconds(2), recovery: .seconds(1)))
            let result = try await server.run(scenario, configuration: configuration)
            let load = try XCTUnwrap(result.load)
            let created = load.statusClasses["2xx"]?.count ?? 0
            let rows = try await server.count("SELECT count(*) FROM projects")
            XCTAssertGreaterThan(created, 100)
            XCTAssertEqual(UInt64(rows), created, "rows \(rows), 201s \(created), other answers \(load.statusClasses.keys.sorted())")
        }
    }
}
