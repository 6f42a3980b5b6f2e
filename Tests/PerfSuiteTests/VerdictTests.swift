@testable import PerfSuite
import Observability
import XCTest

/// The statistics behind the verdicts, on data whose answer is known.
final class VerdictTests: XCTestCase {
    func testMannWhitneyTellsAShiftFromNoise() {
        // Deterministic "noise": the same spread of values, interleaved differently.
        let noise = (0..<20).map { 10 + sin(Double($0) * 1.7) }
        let same = (0..<20).map { 10 + sin(Double($0) * 2.3 + 0.5) }
        let shifted = noise.map { $0 + 3 }
        XCTAssertLessThan(Statistics.mannWhitneyP(shifted, noise), 0.001)
        XCTAssertGreaterThan(Statistics.mannWhitneyP(noise, same), 0.05, "two samples of the same spread are not told apart")
        XCTAssertEqual(Statistics.mannWhitneyP(noise, noise), 1, accuracy: 0.05)
        XCTAssertLessThan(Statistics.mannWhitneyP((0..<8).map(Double.init), (100..<108).map(Double.init)), 0.01, "8 a side can reach p < 0.01")
        let tied = [Double](repeating: 5, count: 10)
        XCTAssertEqual(Statistics.mannWhitneyP(tied, tied), 1, "all ties: no evidence")
    }

    func testStudentTMatchesItsTable() {
        XCTAssertEqual(Statistics.studentTwoSidedP(2.776, degreesOfFreedom: 4), 0.05, accuracy: 0.0005)
        XCTAssertEqual(Statistics.studentTwoSidedP(4.604, degreesOfFreedom: 4), 0.01, accuracy: 0.0002)
        XCTAssertEqual(Statistics.studentTwoSidedP(3.355, degreesOfFreedom: 8), 0.01, accuracy: 0.0002)
        XCTAssertEqual(Statistics.studentTwoSidedP(1.96, degreesOfFreedom: 100_000), 0.05, accuracy: 0.0005)
        XCTAssertEqual(Statistics.studentTwoSidedP(0, degreesOfFreedom: 5), 1, accuracy: 1e-9)
        XCTAssertEqual(Statistics.studentTwoSidedP(.infinity, degreesOfFreedom: 5), 0)
    }

    /// Many simulated pairs of repeated runs, each run's p50 drawn with its own run-to-run noise
    /// (log-normal, 8%): pairs of the same build are rarely flagged, pairs slowed by 30% nearly
    /// always. Seeded, so the figures are the same on every machine.
    func testRepeatedRunsTellASlowdownFromRunToRunNoise() {
        var random = SplitMix64(seed: 7)
        func runs(_ count: Int, median: Double) -> [Double] {
            (0..<count).map { _ in
                // Box-Muller: a standard normal from two uniforms.
                let u = Double.random(in: 1e-12..<1, using: &random), v = Double.random(in: 0..<1, using: &random)
                return median * exp(0.08 * (-2 * log(u)).squareRoot() * cos(2 * .pi * v))
            }
        }
        let settings = RegressionComparison.Settings()
        var falseAlarms = 0, detections = 0
        let pairs = 400
        for _ in 0..<pairs {
            let base = runs(5, median: 12)
            if RegressionComparison.acrossRepetitions("s", .latencyP50, new: runs(5, median: 12), old: base, settings: settings).outcome == .regression {
                falseAlarms += 1
            }
            if RegressionComparison.acrossRepetitions("s", .latencyP50, new: runs(5, median: 15.6), old: base, settings: settings).outcome == .regression {
                detections += 1
            }
        }
        XCTAssertLessThanOrEqual(falseAlarms, pairs / 50, "at most 2% false alarms at p < 0.01")
        XCTAssertGreaterThanOrEqual(detections, pairs * 9 / 10, "a 30% slowdown found in 90% of pairs or more")
        let one = RegressionComparison.acrossRepetitions("s", .latencyP50, new: [13], old: runs(5, median: 12), settings: settings)
        XCTAssertTrue(one.noiseMeasured, "a single new run against a repeated baseline is judged against the baseline's noise")
    }

    func testLineFitRecoversSlopeAndItsUncertainty() throws {
        let exact = try XCTUnwrap(Statistics.fitLine((0..<6).map { (Double($0), 3 * Double($0) + 1) }))
        XCTAssertEqual(exact.slope, 3, accuracy: 1e-9)
        XCTAssertEqual(exact.intercept, 1, accuracy: 1e-9)
        XCTAssertEqual(exact.slopeStandardError, 0, accuracy: 1e-9)
        let noisy = try XCTUnwrap(Statistics.fitLine([(0, 1), (1, 5), (2, 2), (3, 6), (4, 3)]))
        XCTAssertLessThan(noisy.slopeLow, noisy.slope)
        XCTAssertGreaterThan(noisy.slopeHigh, noisy.slope)
        XCTAssertNil(Statistics.fitLine([(0, 1), (1, 2)]), "two points cannot give an uncertainty")
    }

    func testLeakDetectorFlagsATrendNotNoise() {
        let detector = LeakDetector(bytesPerRequestLimit: 256, warmupCycles: 1)
        let flat = [40, 52, 51, 53, 52, 51].enumerated().map { LeakDetector.Sample(cycle: $0 + 1, requests: ($0 + 1) * 3000, residentBytes: $1 << 20) }
        let growing = (0..<6).map { LeakDetector.Sample(cycle: $0 + 1, requests: ($0 + 1) * 3000, residentBytes: (40 << 20) + ($0 + 1) * 3000 * 4096) }
        XCTAssertFalse(detector.judge(flat).leaking, detector.judge(flat).explanation)
        let verdict = detector.judge(growing)
        XCTAssertTrue(verdict.leaking, verdict.explanation)
        XCTAssertEqual(verdict.fit?.slope ?? 0, 4096, accuracy: 1)
        XCTAssertFalse(detector.judge(Array(growing.prefix(3))).leaking, "too few cycles after the warm-up decide nothing")
    }

    func testBottleneckRules() {
        func q(_ mean: Double, p95: Double? = nil) -> Quantiles { Quantiles(mean: mean, p50: mean, p95: p95 ?? mean * 2, p99: mean * 3, max: mean * 4) }
        let database = BottleneckRules.verdict(client: q(10), app: q(9), database: q(7), pool: q(0.1), timedResponses: 100)
        XCTAssertEqual(database.component, .database)
        XCTAssertEqual(database.shares["database"] ?? 0, 70, accuracy: 0.1)
        let pool = BottleneckRules.verdict(client: q(10), app: q(9), database: q(3), pool: q(4), timedResponses: 100)
        XCTAssertEqual(pool.component, .pool)
        let network = BottleneckRules.verdict(client: q(10), app: q(2), database: q(1), pool: q(0), timedResponses: 100)
        XCTAssertEqual(network.component, .clientNetwork)
        let application = BottleneckRules.verdict(client: q(10), app: q(9), database: q(1), pool: q(0), timedResponses: 100)
        XCTAssertEqual(application.component, .application)
        XCTAssertEqual(BottleneckRules.verdict(client: q(10), app: q(0), database: q(0), pool: q(0), timedResponses: 0).component, .unknown)
        XCTAssertFalse(database.evidence.isEmpty)
    }

    func testPearsonCorrelation() throws {
        XCTAssertEqual(try XCTUnwrap(Timeline.pearson([(1, 2), (2, 4), (3, 6)])), 1, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(Timeline.pearson([(1, 6), (2, 4), (3, 2)])), -1, accuracy: 1e-9)
        XCTAssertNil(Timeline.pearson([(1, 1), (1, 1), (1, 1)]))
    }

    func testServerCountersLeaveOutTheirOwnScrapes() {
        let text = """
            # TYPE http_server_request_duration_seconds histogram
            http_server_request_duration_seconds_count{method="GET",route="/api/v1/health",status="200"} 120
            http_server_request_duration_seconds_count{method="POST",route="/api/v1/projects",status="201"} 30
            http_server_request_duration_seconds_count{method="GET",route="/metrics",status="200"} 7
            db_query_duration_seconds_count{query="health.check"} 120
            db_query_duration_seconds_count{query="projects.insert"} 30
            """
        XCTAssertEqual(ServerCounters.parse(text), ServerCounters(requests: 150, queries: 150))
        XCTAssertEqual(ServerCounters.parse(text + "\ndb_pool_connections_max 20")?.poolSize, 20, "the pool's size, when the server says")
    }
}
