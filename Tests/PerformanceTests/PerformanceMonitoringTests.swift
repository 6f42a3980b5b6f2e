import Foundation
import LoadEngine
import Observability
import PerfSuite
import TestSupport
import XCTest
import TargetMonitoring

/// The original suite's eight monitoring and benchmarking tests, by the same names, against a real
/// server process. CPU and memory are always the server's, read from its /proc entries.
final class PerformanceMonitoringTests: XCTestCase {
    /// The CPU the monitor reports is the server's: its readings add up to the CPU time the server's
    /// own /proc entry gained over the run.
    func testCPUMonitoring() async throws {
        try await ReferenceServer.with { server in
            let before = try XCTUnwrap(server.statistics).cpuSeconds
            let monitor = ResourceMonitor.start(server.monitorSource, interval: .milliseconds(100))
            _ = try await LoadRun.run(server.plan([.get("/api/v1/health")], .closedDuration(users: 8, duration: .seconds(3), thinkTime: .zero)))
            let allSeries = await monitor.stop()
            let series = try XCTUnwrap(allSeries.first)
            let after = try XCTUnwrap(server.statistics).cpuSeconds
            XCTAssertEqual(series.process, "server")
            XCTAssertGreaterThan(series.maxCPUPercent, 0)
            let measured = zip(series.samples, series.samples.dropFirst()).reduce(0.0) { total, pair in
                total + pair.1.cpuPercentOfCore / 100 * (pair.1.second - pair.0.second)
            }
            let gained = after - before
            XCTAssertGreaterThan(gained, 0.05, "the server worked")
            XCTAssertEqual(measured, gained, accuracy: max(0.25 * gained, 0.1), "the readings are the server's CPU time")
            let machine = try XCTUnwrap(series.samples.last)
            XCTAssertEqual(machine.cpuPercentOfMachine, machine.cpuPercentOfCore / Double(ProcessStatistics.cpuCount), accuracy: 0.01)
        }
    }

    /// The memory the monitor reports is the server's resident set, and grows when the server holds memory.
    func testMemoryMonitoring() async throws {
        try await ReferenceServer.with(faults: true) { server in
            let monitor = ResourceMonitor.start(server.monitorSource, interval: .milliseconds(100))
            try await server.setFaults(#"{"leak_bytes_per_request": 16384}"#)
            _ = try await LoadRun.run(server.plan([.get("/api/v1/health")], .closedRequests(users: 4, totalRequests: 4000)))
            try await Task.sleep(for: .milliseconds(300))
            let allSeries = await monitor.stop()
            let series = try XCTUnwrap(allSeries.first)
            let resident = Double(try XCTUnwrap(server.statistics).residentBytes) / 1_048_576
            XCTAssertEqual(series.finalMemoryMB, resident, accuracy: 5)
            let first = try XCTUnwrap(series.samples.first).memoryMB
            XCTAssertGreaterThan(series.maxMemoryMB - first, 40, "4000 requests x 16 KB held by the server show in its memory")
        }
    }

    /// Percentiles from the histograms: ordered, and at a known server delay where they must be.
    func testResponseTimeMonitoring() async throws {
        try await ReferenceServer.with(faults: true) { server in
            try await server.setFaults(#"{"latency_ms": 20}"#)
            let result = try await LoadRun.run(server.plan([.get("/api/v1/health")], .closedRequests(users: 4, totalRequests: 200)))
            let latency = result.latency
            XCTAssertEqual(latency.count, 200)
            XCTAssertGreaterThanOrEqual(latency.p50, 20, "no response can beat the 20 ms the server waits")
            XCTAssertLessThan(latency.p50, 500)
            XCTAssertLessThanOrEqual(latency.p50, latency.p90)
            XCTAssertLessThanOrEqual(latency.p90, latency.p99)
            XCTAssertLessThanOrEqual(latency.p99, latency.max)
            let app = try XCTUnwrap(result.endpoints.first?.server.app)
            XCTAssertGreaterThanOrEqual(app.p50, 20, "the server's own timing shows its delay")
            XCTAssertEqual(result.exemplars.count, 10)
        }
    }

    /// The success rate follows the server's real error rate, and is 100% without faults.
    func testSuccessRateMonitoring() async throws {
        try await ReferenceServer.with(faults: true) { server in
            let plan = server.plan([.get("/api/v1/health")], .closedRequests(users: 5, totalRequests: 2000))
            let clean = try await LoadRun.run(plan)
            try await server.setFaults(#"{"error_rate": 0.25}"#)
            let faulty = try await LoadRun.run(plan)
            XCTAssertEqual(clean.successRatePercent, 100)
            XCTAssertEqual(faulty.successRatePercent, 75, accuracy: 5)
            XCTAssertEqual(faulty.errors[.http5xx], faulty.totalRequests - faulty.successfulRequests, "every failure is a 5xx answer")
        }
    }

    /// The health load judged against the original thresholds: the judged figures come from the run,
    /// and a figure beyond a limit is a named violation.
    func testPerformanceBenchmarking() async throws {
        try await ReferenceServer.with { server in
            let result = try await server.run("health_load")
            let nonCPU = result.violations.filter { $0.metric != "max_cpu_percent" }
            XCTAssertEqual(nonCPU, [], "average, p95, rate, memory and success hold on any machine")
            XCTAssertEqual(result.p95ResponseTimeMs, try XCTUnwrap(result.load?.latency.p95))
            var strict = result.thresholds
            strict.maxAverageMs = result.averageResponseTimeMs / 2
            strict.minRPS = result.requestsPerSecond * 2
            let figures = JudgedFigures(
                averageMs: result.averageResponseTimeMs, p95Ms: result.p95ResponseTimeMs, requestsPerSecond: result.requestsPerSecond,
                maxCPUPercent: nil, maxMemoryMB: result.maxMemoryMB, successPercent: result.successRatePercent, errorRatePercent: result.errorRatePercent)
            XCTAssertEqual(Set(strict.violations(of: figures).map(\.metric)), ["average_response_time_ms", "requests_per_second"])
        }
    }

    /// A stored baseline, a rerun of the same server (not flagged), and a run with a real slowdown
    /// injected in the server (flagged), all decided from the recorded distributions.
    func testPerformanceRegressionDetection() async throws {
        try await ReferenceServer.with(faults: true) { server in
            let configuration = try SuiteConfiguration.builtIn()
            var scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "projects_load" })
            scenario.load = .rate(rate: 100, duration: .seconds(11), maxInFlight: 50)
            let baselineReport = try await report(server.run(scenario, configuration: configuration))
            let baselineFile = server.directory.appendingPathComponent("baseline.json").path
            try baselineReport.write(to: baselineFile)
            let baseline = try RegressionComparison.loadBaseline(baselineFile)
            var settings = RegressionComparison.Settings()
            settings.latency = Tolerance(relativePercent: 50, absolute: 1)

            let same = try await report(server.run(scenario, configuration: configuration))
            let unchanged = RegressionComparison(current: same, baseline: baseline, settings: settings)
            XCTAssertFalse(unchanged.hasRegression, "\(unchanged.regressions)")

            let p50 = try XCTUnwrap(baseline.scenarios.first?.load?.latency.p50)
            try await server.setFaults(#"{"latency_ms": \#(max(5, p50 * 2))}"#)
            let slowed = try await report(server.run(scenario, configuration: configuration))
            let flagged = RegressionComparison(current: slowed, baseline: baseline, settings: settings)
            XCTAssertTrue(flagged.regressions.contains { $0.metric == "latency_p50_ms" }, "\(flagged.unchanged)")
            XCTAssertTrue(flagged.regressions.allSatisfy { $0.method.contains("Mann-Whitney") })
        }
    }

    /// The same verdict across repeated independent runs of a short default scenario (a fresh server
    /// process for every repetition): a rerun is not flagged, a slowdown is, and a single short run
    /// a side is not judged at all.
    func testRegressionAcrossRepeatedIndependentRuns() async throws {
        try await ReferenceServer.with(faults: true) { server in
            let configuration = try SuiteConfiguration.builtIn()
            let scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "health_load" })
            var settings = RegressionComparison.Settings()
            settings.latency = Tolerance(relativePercent: 30, absolute: 2)
            let baseline = report(try await server.run(scenario, configuration: configuration, repetitions: 4))
            XCTAssertEqual(baseline.scenarios.first?.repetitions.count, 4)
            let same = RegressionComparison(
                current: report(try await server.run(scenario, configuration: configuration, repetitions: 4)), baseline: baseline, settings: settings)
            XCTAssertFalse(same.hasRegression, "\(same.regressions)")
            XCTAssertTrue(same.unchanged.contains { $0.method.contains("across repetitions") && $0.noiseMeasured })

            let p50 = try XCTUnwrap(baseline.scenarios.first?.figuresOfRepetitions.map(\.p50Ms).max())
            try await server.setFaults(#"{"latency_ms": \#(max(10, p50 * 3))}"#)
            let slowed = RegressionComparison(
                current: report(try await server.run(scenario, configuration: configuration, repetitions: 4)), baseline: baseline, settings: settings)
            XCTAssertTrue(slowed.regressions.contains { $0.metric == "latency_p50_ms" && $0.method.contains("across repetitions") }, "\(slowed.unchanged)")

            let single = RegressionComparison(current: report(try await server.run(scenario, configuration: configuration)),
                baseline: report(try await server.run(scenario, configuration: configuration)), settings: settings)
            XCTAssertFalse(single.hasRegression)
            XCTAssertTrue(single.notJudged.contains { $0.metric == "latency_p50_ms" && $0.method.contains("too short") }, "\(single.unchanged)")
        }
    }

    /// Several cycles and the trend of the server's memory: a server holding 8 KB per request is
    /// flagged; the same server without the fault, through the same cycles, is not.
    func testMemoryLeakDetection() async throws {
        try await ReferenceServer.with(faults: true) { server in
            let plan = server.plan([.get("/api/v1/health")], .closedRequests(users: 10, totalRequests: 3000))
            let check = LeakCheck(cycles: 7, detector: LeakDetector(warmupCycles: 2))
            let healthy = try await check.run(plan, source: server.monitorSource, logger: .init(label: "test"))
            XCTAssertFalse(healthy.leaking, healthy.explanation)
            XCTAssertEqual(healthy.samples.count, 7)
            try await server.setFaults(#"{"leak_bytes_per_request": 8192}"#)
            let leaking = try await check.run(plan, source: server.monitorSource, logger: .init(label: "test"))
            XCTAssertTrue(leaking.leaking, leaking.explanation)
            XCTAssertEqual(try XCTUnwrap(leaking.fit).slope, 8192, accuracy: 4096, "about the bytes held per request")
            print("leak check, healthy server: \(healthy.explanation); samples \(healthy.samples.map { $0.residentBytes >> 10 }) KiB")
            print("leak check, 8 KB per request held: \(leaking.explanation); samples \(leaking.samples.map { $0.residentBytes >> 10 }) KiB")
        }
    }

    /// Monitoring while several endpoints are loaded at once: samples keep coming at the interval
    /// through the whole run, in order, for the server and for PostgreSQL.
    func testConcurrentMonitoring() async throws {
        try await ReferenceServer.with { server in
            let cluster = try await TestDatabase.sharedCluster()
            let postmaster = try XCTUnwrap(cluster.postmasterPID)
            let monitor = ResourceMonitor.start(.processes(server: .single(server.process.pid), postgres: .withChildren(of: postmaster)), interval: .milliseconds(200))
            let endpoints: [Endpoint] = [.get("/api/v1/health"), .get("/api/v1/projects/"), .get("/api/v1/workflows/")]
            let result = try await LoadRun.run(server.plan(endpoints, .closedDuration(users: 12, duration: .seconds(3), thinkTime: .zero)))
            let series = await monitor.stop()
            XCTAssertEqual(series.map(\.process), ["server", "postgres"])
            for process in series {
                XCTAssertGreaterThanOrEqual(process.samples.count, 10, "\(process.process): about one reading per 200 ms over 3 s")
                XCTAssertEqual(process.samples.map(\.second), process.samples.map(\.second).sorted())
                XCTAssertGreaterThan(process.maxCPUPercent, 0, "\(process.process) worked")
            }
            XCTAssertEqual(result.endpoints.count, 3)
            XCTAssertEqual(result.errors.total, 0)
        }
    }

    private func report(_ result: ScenarioResult) -> SuiteReport {
        SuiteReport(
            schemaVersion: SuiteReport.currentSchemaVersion, interrupted: false,
            summary: .init(startTime: Date(), endTime: Date(), totalScenarios: 1, passed: result.passed ? 1 : 0, failed: result.passed ? 0 : 1),
            environment: .current(target: "test", configuration: "built-in", scale: 1, postgresVersion: nil, serverLog: nil), scenarios: [result])
    }
}
