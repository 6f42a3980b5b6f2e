import Foundation
import LoadEngine
import PerfSuite
import XCTest

/// The capacity search against servers whose capacity is known: never above it, and found within
/// 20% below it, for a generous objective.
final class CapacityTests: XCTestCase {
    func options(_ objectives: [String], hold: Duration = .seconds(2), sweep: [Int] = []) throws -> CapacityOptions {
        var options = CapacityOptions(objectives: try objectives.map(ServiceObjective.parse))
        options.hold = hold
        options.startRate = 10
        options.maxInFlight = 64
        options.sweepUsers = sweep
        options.sweepHold = .seconds(1)
        return options
    }

    /// A search, run again (twice at most) when the engine refused its answer because it was
    /// itself late: that refusal is right, and says the shared machine was busy, not that the
    /// search is wrong (CI's parallel suites made the engine's own timers 12 ms late once).
    func search(_ plan: LoadPlan, _ options: CapacityOptions) async throws -> CapacityReport {
        var report = try await CapacityRun.run(plan, options: options)
        for _ in 0..<2 where report.maxSustainableRPS == nil && report.refused?.contains("the load engine itself was the limit") == true {
            print("capacity search run again: \(report.refused ?? "")")
            report = try await CapacityRun.run(plan, options: options)
        }
        return report
    }

    /// One worker, 10 ms a request: exactly 100 requests per second.
    func testAServerOfOneWorkerIsFoundBelowItsCapacity() async throws {
        try await SerialServer.with(service: .milliseconds(10)) { server in
            let (target, path) = try LoadTarget.split(url: server.url)
            let plan = LoadPlan(target: target, endpoints: [.get(path)], model: .closedRequests(users: 1, totalRequests: 1))
            let report = try await search(plan, try options(["p99<250ms", "errors<1%"], sweep: [1, 2, 4, 8]))
            let found = try XCTUnwrap(report.maxSustainableRPS, report.refused ?? "no rate met the objectives: \(report.steps)")
            print("capacity of a one-worker server of \(server.capacity) requests/s: found \(found) in \(report.steps.count) holds")
            XCTAssertLessThanOrEqual(found, server.capacity, "never above what the server can finish")
            XCTAssertGreaterThanOrEqual(found, 0.8 * server.capacity, "\(report.steps.map { ($0.rate, $0.met, $0.latencyMs.p99) })")
            for step in report.steps {
                XCTAssertLessThanOrEqual(step.achievedRPS, server.capacity * 1.02, "no hold finishes more than the server can")
            }
            XCTAssertEqual(report.steps.filter { $0.phase == .confirm }.last?.rate, report.sustainedRate)
            // No Server-Timing here: what gave is the server as a whole.
            XCTAssertEqual(report.limiting?.component, "server")
            // One worker: throughput is flat from one user on, pure contention.
            let usl = try XCTUnwrap(report.usl)
            XCTAssertGreaterThan(usl.sigma, 0.7, "\(usl)")
            XCTAssertEqual(try XCTUnwrap(usl.peakRPS), server.capacity, accuracy: server.capacity * 0.15)
        }
    }

    /// A pool of 2 connections, each request holding one for 20 ms of `pg_sleep`: at most 100
    /// requests per second, and the pool is what gives.
    func testTheReferenceServerWithASmallPoolAndSlowQueriesIsFoundBelowPoolOverLatency() async throws {
        try await ReferenceServer.with(faults: true, poolSize: 2) { server in
            try await server.setFaults(#"{"slow_query_ms": 20, "path_prefix": "/health/live"}"#)
            let plan = server.plan([.get("/health/live")], .closedRequests(users: 1, totalRequests: 1))
            let report = try await search(plan, try options(["p99<200ms", "errors<1%"]))
            let capacity = 2 / 0.020
            let found = try XCTUnwrap(report.maxSustainableRPS, report.refused ?? "no rate met the objectives: \(report.steps)")
            print("capacity of the reference server, pool 2, 20 ms queries, \(capacity) requests/s: found \(found), limited by \(report.limiting?.component ?? "-")")
            XCTAssertLessThanOrEqual(found, capacity)
            XCTAssertGreaterThanOrEqual(found, 0.8 * capacity, "\(report.steps.map { ($0.rate, $0.met, $0.latencyMs.p99) })")
            let limiting = try XCTUnwrap(report.limiting)
            XCTAssertEqual(limiting.component, "pool", "\(limiting)")
            XCTAssertTrue(limiting.evidence.contains { $0.contains("pool") })
        }
    }
}
