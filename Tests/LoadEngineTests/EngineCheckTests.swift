import Histogram
@testable import LoadEngine
import Testing

/// Whether the engine kept up: its own figures, and the warnings they lead to.
@Suite("Engine check")
struct EngineCheckTests {
    func summary(p99Milliseconds: Double) -> LatencySummary {
        var histogram = LatencyHistogram.latency()
        histogram.recordClamped(UInt64(p99Milliseconds * 1000))
        return LatencySummary(histogram)
    }

    @Test("a busy thread or late timers mark the engine as the limit; a slow target does not")
    func saturation() {
        let calm = EngineCheck(
            intendedRate: 100, achievedRate: 99, sendLateness: summary(p99Milliseconds: 0.2), timerLateness: summary(p99Milliseconds: 0.1),
            threadCPUPercent: [12, 30], connections: 8)
        #expect(!calm.saturated && calm.warnings.isEmpty)
        let busy = EngineCheck(
            intendedRate: 100_000, achievedRate: 40_000, sendLateness: summary(p99Milliseconds: 900), timerLateness: nil,
            threadCPUPercent: [99.5], connections: 8)
        #expect(busy.saturated)
        #expect(busy.warnings.first?.contains("busiest thread used 99.5%") == true, "\(busy.warnings)")
        let late = EngineCheck(
            intendedRate: 100, achievedRate: 100, sendLateness: summary(p99Milliseconds: 30), timerLateness: summary(p99Milliseconds: 25),
            threadCPUPercent: [20], connections: 8)
        #expect(late.saturated)
        let slowTarget = EngineCheck(
            intendedRate: 1000, achievedRate: 200, sendLateness: summary(p99Milliseconds: 2000), timerLateness: summary(p99Milliseconds: 0.3),
            threadCPUPercent: [15], connections: 8)
        #expect(!slowTarget.saturated)
        #expect(slowTarget.warnings.first?.contains("the target did not keep up: 200 of 1000") == true, "\(slowTarget.warnings)")
    }

    @Test("a live open run reports its intended and achieved rates and each thread's CPU")
    func live() async throws {
        try await TestHTTPServer.with { server in
            var plan = LoadPlan(target: LoadTarget(host: "127.0.0.1", port: server.port), endpoints: [.get("/ok")],
                                model: .constantRate(rate: 200, duration: .seconds(1), maxInFlight: 4))
            plan.threads = 2
            plan.requestTimeout = .seconds(60)
            let result = try await LoadRun.run(plan)
            let engine = try #require(result.engine)
            #expect(engine.intendedRate == 200)
            #expect(engine.threadCPUPercent.count == 2)
            #expect(engine.threadCPUPercent.allSatisfy { $0 >= 0 && $0 < 150 })
            #expect(engine.sendLateness?.count == UInt64(result.totalRequests + result.cutOffAtEnd))
            #expect(engine.achievedRate > 0)
        }
    }
}
