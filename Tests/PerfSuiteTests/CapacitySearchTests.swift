import Foundation
import LoadEngine
import Observability
@testable import PerfSuite
import Testing

/// The search's arithmetic against targets whose capacity is known exactly: a hold is good when
/// its rate is at or below the capacity (or as a noisy target says).
@Suite("Capacity search")
struct CapacitySearchTests {
    /// Runs the search to its end against `isGood`; returns the answer and every rate held.
    func search(_ search: CapacitySearch, _ isGood: (Double, CapacitySearch.Phase) -> Bool) -> (rate: Double?, atCeiling: Bool, held: [Double]) {
        var search = search
        var held: [Double] = []
        while case .hold(let rate, let phase) = search.next {
            held.append(rate)
            search.record(good: isGood(rate, phase))
            if held.count > 200 { break }
        }
        guard case .done(let rate, let atCeiling) = search.next else { return (nil, false, held) }
        return (rate, atCeiling, held)
    }

    @Test("never above the capacity, and within the resolution below it, for capacities across six decades", arguments: [0.7, 3, 47, 100, 999, 12_345, 250_000])
    func findsKnownCapacity(capacity: Double) {
        let found = search(CapacitySearch(start: 10, resolution: 0.05)) { rate, _ in rate <= capacity }
        let rate = try! #require(found.rate)
        #expect(rate <= capacity)
        #expect(rate >= capacity * 0.95 * 0.95, "within the resolution (and one more step of it)")
        #expect(found.held.count < 40)
        #expect(!found.atCeiling)
    }

    @Test("the growth phase doubles, the bisection halves, and the answer is held twice")
    func phases() {
        var steps: [(Double, CapacitySearch.Phase)] = []
        _ = search(CapacitySearch(start: 10, growth: 2, resolution: 0.05)) { rate, phase in
            steps.append((rate, phase))
            return rate <= 100
        }
        #expect(steps.prefix(5).map(\.0) == [10, 20, 40, 80, 160])
        #expect(steps.prefix(4).allSatisfy { $0.1 == .grow })
        #expect(steps[5] == (120, .bisect))
        #expect(steps.last!.1 == .confirm)
        #expect(steps.filter { $0.1 == .confirm }.count == 1)
        let answer = steps.last!.0
        #expect(steps.filter { $0.0 == answer }.count == 2, "the answer is held twice")
    }

    @Test("a confirmation that fails makes the rate bad and the search goes on below it")
    func failedConfirmation() {
        var confirmations = 0
        let found = search(CapacitySearch(start: 10, resolution: 0.05)) { rate, phase in
            if phase == .confirm {
                confirmations += 1
                if confirmations == 1 { return false }  // a noisy second hold
            }
            return rate <= 100
        }
        let rate = try! #require(found.rate)
        #expect(confirmations == 2)
        #expect(rate < 100 * 0.96 && rate >= 100 * 0.95 * 0.95 * 0.9)
    }

    @Test("a start above the capacity divides down to it")
    func startsTooHigh() {
        let found = search(CapacitySearch(start: 1000, resolution: 0.05)) { rate, _ in rate <= 30 }
        let rate = try! #require(found.rate)
        #expect(rate <= 30 && rate >= 30 * 0.9)
    }

    @Test("nothing good down to the floor is no answer; nothing bad up to the ceiling is the ceiling")
    func bounds() {
        let none = search(CapacitySearch(start: 10, floor: 0.5)) { _, _ in false }
        #expect(none.rate == nil)
        #expect(none.held.allSatisfy { $0 >= 0.5 })
        let all = search(CapacitySearch(start: 10, ceiling: 500)) { _, _ in true }
        #expect(all.rate == 500 && all.atCeiling)
        #expect(all.held.max() == 500)
    }
}

@Suite("Service objectives")
struct ServiceObjectiveTests {
    @Test("objectives are read as users write them", arguments: [
        ("p99<50ms", "p99", 50.0), ("p95 <= 0.2s", "p95", 200), ("P99.9<800us", "p99.9", 0.8), ("mean<20ms", "mean", 20),
        ("max<1s", "max", 1000), ("errors<1%", "errors", 1), ("error_rate<0.5%", "errors", 0.5),
    ])
    func parses(text: String, metric: String, limit: Double) throws {
        let objective = try ServiceObjective.parse(text)
        #expect(objective.metricName == metric)
        #expect(abs(objective.limit - limit) < 1e-9)
    }

    @Test("a malformed objective is refused with what is expected", arguments: [
        "p99", "p99>50ms", "p100<5ms", "p0<5ms", "q99<50ms", "p99<50", "p99<-5ms", "errors<1", "errors<150%", "p99<fastms", "<50ms", "p99<",
    ])
    func refuses(text: String) {
        #expect(throws: ServiceObjective.Failure.self) { try ServiceObjective.parse(text) }
    }

    @Test("strict and inclusive limits")
    func limits() throws {
        #expect(try ServiceObjective.parse("p99<50ms").isMet(by: 49.9))
        #expect(!(try ServiceObjective.parse("p99<50ms").isMet(by: 50)))
        #expect(try ServiceObjective.parse("p99<=50ms").isMet(by: 50))
        #expect(!(try ServiceObjective.parse("p99<50ms").isMet(by: .infinity)))
    }
}

@Suite("Universal Scalability Law")
struct UniversalScalabilityLawTests {
    func curve(lambda: Double, sigma: Double, kappa: Double, users: [Int], noise: (Int) -> Double = { _ in 1 }) -> [(users: Int, rps: Double)] {
        users.map { ($0, UniversalScalabilityFit.throughput(users: Double($0), lambda: lambda, sigma: sigma, kappa: kappa) * noise($0)) }
    }

    @Test("exact points give back their parameters and peak", arguments: [(100.0, 0.05, 0.002), (1500, 0.2, 0.0005), (40, 0.01, 0.01)])
    func recovers(lambda: Double, sigma: Double, kappa: Double) throws {
        let fit = try #require(UniversalScalabilityFit.fit(curve(lambda: lambda, sigma: sigma, kappa: kappa, users: [1, 2, 4, 8, 16, 32, 64])))
        #expect(abs(fit.lambda - lambda) / lambda < 1e-3)
        #expect(abs(fit.sigma - sigma) < 1e-3)
        #expect(abs(fit.kappa - kappa) / kappa < 1e-2)
        #expect(fit.rSquared > 0.9999)
        let peak = ((1 - sigma) / kappa).squareRoot()
        #expect(abs(try #require(fit.peakUsers) - peak) / peak < 0.01)
    }

    @Test("noisy points: close parameters and a fit quality below one")
    func noisy() throws {
        // A fixed ±4% pattern, as repeated runs on a shared machine give.
        let wobble = [1.03, 0.97, 1.04, 0.96, 1.02, 0.98, 1.01]
        let points = curve(lambda: 200, sigma: 0.1, kappa: 0.001, users: [1, 2, 4, 8, 16, 32, 64]) { wobble[Int(log2(Double($0)))] }
        let fit = try #require(UniversalScalabilityFit.fit(points))
        #expect(fit.rSquared < 1 && fit.rSquared > 0.9)
        #expect(abs(fit.sigma - 0.1) < 0.05)
        #expect(fit.peakUsers.map { $0 > 15 && $0 < 50 } == true)
    }

    @Test("linear scaling has no contention, no coherency cost and no peak")
    func linear() throws {
        let fit = try #require(UniversalScalabilityFit.fit(curve(lambda: 50, sigma: 0, kappa: 0, users: [1, 2, 4, 8])))
        #expect(fit.sigma < 1e-6 && fit.kappa < 1e-9)
        #expect(fit.peakUsers == nil)
    }

    @Test("a plateau (one server, a fixed service time) is pure contention")
    func plateau() throws {
        // A single-server queue: throughput N/(N·S) = 1/S from one user on, sigma = 1.
        let fit = try #require(UniversalScalabilityFit.fit([(1, 100), (2, 100), (4, 100), (8, 100)]))
        #expect(abs(fit.sigma - 1) < 0.01)
        #expect(fit.peakRPS.map { abs($0 - 100) < 1 } == true)
    }

    @Test("fewer than three concurrencies, or no throughput, give no fit")
    func tooFew() {
        #expect(UniversalScalabilityFit.fit([(1, 10), (2, 19)]) == nil)
        #expect(UniversalScalabilityFit.fit([(1, 0), (2, 0), (4, 0)]) == nil)
    }
}

/// The conclusion of a search from its holds: the answer, or its refusal, and what gave first.
@Suite("Capacity conclusion")
struct CapacityConclusionTests {
    func step(_ number: Int, rate: Double, achieved: Double? = nil, met: Bool, saturated: Bool = false, pool: Double = 0.1, database: Double = 1, outside: Double = 0.3, phase: CapacitySearch.Phase = .grow) -> CapacityStep {
        var latency = LatencyHistogram.latency()
        latency.recordClamped(UInt64((pool + database + outside + 0.2) * 1000))
        return CapacityStep(
            number: number, phase: phase, rate: rate, achievedRPS: achieved ?? rate, latencyMs: LatencySummary(latency), errorPercent: 0, errors: [:],
            objectives: [ObjectiveOutcome(objective: "p99<50ms", actual: met ? 10 : 80, met: met)], met: met, engineSaturated: saturated,
            engineWarnings: saturated ? ["the load engine was the limit: its busiest thread used 97% of a core"] : [],
            means: ComponentMeans(clientMs: pool + database + outside + 0.2, timedShare: 1, databaseMs: database, poolMs: pool, handlerMs: 0.2, outsideMs: outside),
            seconds: 10)
    }

    func report(_ steps: [CapacityStep]) -> CapacityReport {
        var search = CapacitySearch(start: steps[0].rate, resolution: 0.05)
        for step in steps { search.record(good: step.met) }
        var report = CapacityReport(
            target: "http://127.0.0.1:1", endpoints: ["GET /"], startedAt: Date(), objectives: [], holdSeconds: 10, resolution: 0.05, growth: 2,
            startRate: steps[0].rate, maxInFlight: 8, atCeiling: false, steps: steps, sweep: [], searchSeconds: 1, sweepSeconds: 0)
        CapacityRun.conclude(&report, search: search)
        return report
    }

    @Test("the answer is what the server finished at the rate held twice, never more than that rate")
    func answer() {
        let steps = [
            step(1, rate: 100, met: true), step(2, rate: 200, met: false, pool: 40), step(3, rate: 150, achieved: 148, met: true, phase: .bisect),
            step(4, rate: 175, met: false, pool: 30, phase: .bisect), step(5, rate: 162.5, met: false, pool: 25, phase: .bisect),
            step(6, rate: 156.25, met: false, pool: 22, phase: .bisect), step(7, rate: 150, achieved: 147, met: true, phase: .confirm),
        ]
        let report = report(steps)
        #expect(report.sustainedRate == 150)
        #expect(report.maxSustainableRPS == 147)
        #expect(report.firstBadRate == 156.25)
        #expect(report.limiting?.component == "pool")
        #expect(report.limiting?.evidence.contains { $0.contains("pool 0.10 -> 22.00 ms") } == true, "\(report.limiting?.evidence ?? [])")
        #expect(report.refused == nil)
    }

    @Test("an engine that was the limit above the answer refuses the answer, saying why")
    func refused() {
        let steps = [
            step(1, rate: 100, met: true), step(2, rate: 200, met: false, saturated: true), step(3, rate: 150, met: false, saturated: true, phase: .bisect),
            step(4, rate: 125, met: true, phase: .bisect), step(5, rate: 137.5, met: false, saturated: true, phase: .bisect),
            step(6, rate: 131.25, met: true, phase: .bisect), step(7, rate: 131.25, met: true, phase: .confirm),
        ]
        let report = report(steps)
        #expect(report.maxSustainableRPS == nil)
        #expect(report.refused?.contains("load engine itself was the limit at 138") == true, "\(report.refused ?? "")")
        #expect(report.limiting?.component == "load engine")
    }

    @Test("a database that slows is named, and a target without Server-Timing is the server as a whole")
    func components() {
        let slowDatabase = CapacityRun.limitingComponent(good: step(1, rate: 100, met: true), bad: step(2, rate: 200, met: false, database: 60))
        #expect(slowDatabase.component == "database")
        var untimed = step(2, rate: 200, met: false)
        untimed.means.timedShare = 0
        #expect(CapacityRun.limitingComponent(good: nil, bad: untimed).component == "server")
    }
}

/// Requests without a latency (never sent, cut off, failed in transport) against latency
/// objectives, over a run and over windows.
@Suite("Objectives and failed requests")
struct ObjectiveFailureTests {
    func histogram(_ count: Int, milliseconds: Double) -> LatencyHistogram {
        var histogram = LatencyHistogram.latency()
        for _ in 0..<count { histogram.recordClamped(UInt64(milliseconds * 1000)) }
        return histogram
    }

    @Test("failures count as slower than every answer: a dead server meets no latency objective")
    func failuresAreSlow() throws {
        let p99 = try ServiceObjective.parse("p99<50ms"), p50 = try ServiceObjective.parse("p50<50ms")
        let mean = try ServiceObjective.parse("mean<50ms")
        #expect(p99.latency(histogram(90, milliseconds: 10), owed: 100) == .infinity, "10 of 100 failed: p99 lies beyond every answer")
        #expect(abs(p50.latency(histogram(90, milliseconds: 10), owed: 100) - 10) < 0.1)
        #expect(mean.latency(histogram(90, milliseconds: 10), owed: 100) == .infinity)
        #expect(p99.latency(histogram(0, milliseconds: 1), owed: 40) == .infinity, "all failed")
        #expect(!p99.isMet(by: p99.latency(histogram(0, milliseconds: 1), owed: 40)))
        #expect(p99.latency(histogram(0, milliseconds: 1), owed: 0) == 0, "nothing owed")
    }

    /// Per-second windows as a report holds them.
    func windows(_ json: String) throws -> [SecondWindow] {
        try ReportCoding.decoder.decode([SecondWindow].self, from: Data(json.utf8))
    }

    @Test("over windows, errors are failures (not 4xx answers), and failed requests break latency objectives")
    func windowFigures() throws {
        let seconds = try windows("""
            [{"second": 0, "requests": 10, "errors": 5, "failures": 0, "client": {"digits": 2, "pairs": [1000, 10]}, "app": {"digits": 2, "pairs": []},
              "client_milliseconds_sum": 10, "database_milliseconds_sum": 0, "pool_milliseconds_sum": 0, "timed_responses": 0},
             {"second": 1, "requests": 10, "errors": 10, "failures": 10, "client": {"digits": 2, "pairs": []}, "app": {"digits": 2, "pairs": []},
              "client_milliseconds_sum": 0, "database_milliseconds_sum": 0, "pool_milliseconds_sum": 0, "timed_responses": 0}]
            """)
        let errors = try ServiceObjective.parse("errors<1%"), p99 = try ServiceObjective.parse("p99<50ms")
        #expect(ObjectiveVerdicts.figure(errors, over: [seconds[0]]) == 0, "five 404s are errors, not failures")
        #expect(ObjectiveVerdicts.figure(errors, over: [seconds[1]]) == 100)
        #expect(ObjectiveVerdicts.figure(p99, over: [seconds[1]]) == .infinity, "ten connection failures, no answer")
        let judged = ObjectiveVerdicts.slidingFigures(p99, seconds: seconds, width: 1)
        #expect(judged.map(\.end) == [0, 1])
        // A window is only judged for an abort once it is whole.
        let abort = ScenarioObjective(objective: errors, window: .seconds(3), abortOnFail: true)
        #expect(ObjectiveVerdicts.abortReason([abort], seconds: seconds) == nil)
        let short = ScenarioObjective(objective: errors, window: .seconds(1), abortOnFail: true)
        #expect(ObjectiveVerdicts.abortReason([short], seconds: seconds)?.contains("errors<1% broken in seconds 1–2") == true)
    }
}
