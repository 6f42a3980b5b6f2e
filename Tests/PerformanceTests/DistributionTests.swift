import Foundation
@testable import Distribution
import LoadEngine
import Logging
import Observability
import PerfSuite
import Subprocesses
import TargetMonitoring
import TestSupport
import XCTest

/// A run spread over worker processes (`archmesh worker`, started as a pod would be) against the
/// reference server: the merged result is exactly what the workers sent, its seconds line up, a
/// killed worker leaves a partial result that names it, and a worker with another scenario file or
/// version is refused.
final class DistributionTests: XCTestCase {
    /// A closed run (6 users, 600 requests) and an open one (300 requests/s for 3 s) on three
    /// workers: the merged counts and histograms are the sums of the workers' recordings, bucket for
    /// bucket; each worker sent exactly what its share says, as the server's own log counts it; and
    /// each merged second is the sum of the workers' windows for that second.
    func testThreeWorkersMergeExactlyWhatTheySent() async throws {
        try await ReferenceServer.with { server in
            try await Self.withWorkers(3, scenarios: Self.scenarios) { coordinator, workers, configuration in
                for scenario in configuration.scenarios {
                    let plan = LoadPlan(target: server.process.target, endpoints: configuration.loadEndpoints(for: scenario), model: scenario.loadModel(scale: 1))
                    let result = try await coordinator.run(plan, scenario: scenario, scale: 1) { _ in }
                    let outcome = try XCTUnwrap(coordinator.ledger.lastOutcome)
                    let recordings = outcome.results.map(\.recording)
                    XCTAssertEqual(outcome.results.map(\.worker), [0, 1, 2])
                    XCTAssertEqual(result.distribution?.partial, false)
                    XCTAssertEqual(result.totalRequests, recordings.reduce(0) { $0 + $1.finishedRequests }, scenario.key)
                    var corrected = LatencyHistogram.latency()
                    for recording in recordings { corrected.add(recording.corrected.histogram) }
                    XCTAssertEqual(result.histograms.corrected, SparseHistogram(corrected), "bucket for bucket: \(scenario.key)")
                    XCTAssertEqual(result.errors.total, 0, "\(result.errors)")

                    // What the server saw, attributed to workers by the user index in each request ID.
                    let seen = try Self.requestsByWorker(in: server.process.logFile, runTag: plan.runTag, workers: 3)
                    XCTAssertEqual(seen, recordings.map(\.finishedRequests), "each worker's share, as the server counted it: \(scenario.key)")
                    if scenario.key == "spread_users" {
                        XCTAssertEqual(result.totalRequests, 600)
                        XCTAssertEqual(seen, [200, 200, 200], "users 0 and 3, 1 and 4, 2 and 5: 100 requests each")
                    } else {
                        XCTAssertEqual(result.totalRequests + result.unsentRequests, 900, "the schedule's 900 requests, split by index")
                    }

                    // Seconds line up: each merged second is the workers' windows for that second.
                    XCTAssertEqual(result.seconds.map(\.second), Array(0..<result.seconds.count), "contiguous seconds from the agreed start")
                    for window in result.seconds {
                        let parts = recordings.compactMap { $0.seconds.first { $0.second == window.second } }
                        XCTAssertEqual(window.requests, parts.reduce(0) { $0 + $1.requests }, "second \(window.second)")
                    }
                    let skew = try XCTUnwrap(result.distribution?.startSkewMilliseconds)
                    XCTAssertLessThan(skew, 50, "workers started together")
                    XCTAssertEqual(result.distribution?.startOffsetsMilliseconds.compactMap { $0 }.count, 3)
                }
                _ = workers
            }
        }
    }

    /// A worker killed in the middle of a run: the others finish, the result is marked partial and
    /// names the worker, when it was given up and its last second; the next scenario runs on the two left.
    func testAKilledWorkerLeavesAPartialResultNamingIt() async throws {
        try await ReferenceServer.with { server in
            try await Self.withWorkers(3, scenarios: Self.scenarios, silence: .seconds(2)) { coordinator, workers, configuration in
                let scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "spread_rate" })
                let plan = LoadPlan(target: server.process.target, endpoints: configuration.loadEndpoints(for: scenario), model: scenario.loadModel(scale: 2))
                let killer = Task {
                    try await Task.sleep(for: .milliseconds(2500))
                    kill(workers.pids[1], SIGKILL)
                }
                let result = try await coordinator.run(plan, scenario: scenario, scale: 2) { _ in }
                try await killer.value
                let distribution = try XCTUnwrap(result.distribution)
                XCTAssertTrue(distribution.partial)
                XCTAssertEqual(distribution.lost.map(\.worker), [1])
                let lost = try XCTUnwrap(distribution.lost.first)
                XCTAssertTrue(lost.reason.contains("no report"), lost.reason)
                XCTAssertGreaterThan(lost.atSecond, 2, "given up after it was killed")
                XCTAssertGreaterThan(lost.lastWindow?.requests ?? 0, 0, "its last second is kept")
                XCTAssertEqual(coordinator.ledger.lastOutcome?.results.map(\.worker), [0, 2])
                XCTAssertGreaterThan(result.totalRequests, 0)

                let next = try await coordinator.run(plan, scenario: scenario, scale: 1) { _ in }
                XCTAssertEqual(next.distribution?.partial, false, "the next scenario is split over the two left")
                XCTAssertEqual(next.distribution?.workers, 2)
                XCTAssertEqual(next.totalRequests + next.unsentRequests, 900)
            }
        }
    }

    /// An `abort_on_fail` objective broken on the merged seconds stops every worker: the result says
    /// why, every worker's recording ends early, and none ran its 10 s.
    func testABrokenObjectiveStopsEveryWorker() async throws {
        try await ReferenceServer.with { server in
            let file = Self.scenarios + """

                  - { key: spread_abort, name: Abort, description: abort, type: load, severity: low, endpoints: [live], users: 6, duration: 10s,
                      objectives: [{slo: 'p50<0.001ms', abort_on_fail: true, grace: 1s}] }
                """
            try await Self.withWorkers(3, scenarios: file) { coordinator, _, configuration in
                let scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == "spread_abort" })
                var plan = LoadPlan(target: server.process.target, endpoints: configuration.loadEndpoints(for: scenario), model: scenario.loadModel(scale: 1))
                let objectives = scenario.objectives
                plan.abortCheck = { ObjectiveVerdicts.abortReason(objectives, seconds: $0) }
                let result = try await coordinator.run(plan, scenario: scenario, scale: 1) { _ in }
                let reason = try XCTUnwrap(result.abortReason, "stopped by its objective")
                XCTAssertTrue(reason.contains("p50<0.001ms"), reason)
                XCTAssertLessThan(result.durationSeconds, 6, "stopped long before its 10 s")
                let recordings = try XCTUnwrap(coordinator.ledger.lastOutcome).results.map(\.recording)
                XCTAssertEqual(recordings.count, 3)
                for recording in recordings {
                    XCTAssertNotNil(recording.abortReason, "every worker was told to stop")
                    XCTAssertLessThan(recording.elapsedSeconds, 6)
                }
                XCTAssertFalse(result.interrupted)
            }
        }
    }

    /// Registration refuses a worker that read another scenario file, runs another version, or
    /// claims an index that is not there or is taken; a real `archmesh worker` with another file
    /// exits 2 saying why. A second that is reported twice is counted once.
    func testMismatchedWorkersAreRefusedAndRepeatedSecondsIgnored() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("scenarios.yaml")
        try Self.scenarios.write(to: file, atomically: true, encoding: .utf8)
        let configuration = try SuiteConfiguration.load(path: file.path)
        let coordinator = try await Coordinator.start(.init(workers: 2, scenarioDigest: configuration.digest), logger: Logger(label: "test"))
        let url = "http://127.0.0.1:\(coordinator.port)"
        func register(_ worker: Int, version: String = ArchMeshVersion.current, digest: String) async throws -> HTTPFetch.Response {
            let body = #"{"worker": \#(worker), "version": "\#(version)", "scenarioDigest": "\#(digest)", "host": "test"}"#
            return try await HTTPFetch.send("POST", url + "/register", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
        }
        let otherFile = try await register(0, digest: String(repeating: "0", count: 64))
        XCTAssertEqual(otherFile.status, 409)
        XCTAssertTrue(otherFile.text.contains("SHA-256"), otherFile.text)
        let otherVersion = try await register(0, version: "0.0.1", digest: configuration.digest)
        XCTAssertEqual(otherVersion.status, 409)
        XCTAssertTrue(otherVersion.text.contains("0.0.1"), otherVersion.text)
        let absent = try await register(7, digest: configuration.digest)
        XCTAssertEqual(absent.status, 409)
        let taken = try await register(0, digest: configuration.digest)
        XCTAssertEqual(taken.status, 204)
        let again = try await register(0, digest: configuration.digest)
        XCTAssertEqual(again.status, 409, "an index is taken once")
        let garbage = try await HTTPFetch.send("POST", url + "/register", body: Array("{not json".utf8))
        XCTAssertEqual(garbage.status, 400)

        // The real worker, with the built-in scenario file instead of the coordinator's.
        let refused = try await ChildProcess.run(
            try ReferenceServer.executable(), ["worker"], environment: WorkerEnvironment.variables(coordinator: url, index: 1, configPath: nil))
        XCTAssertEqual(refused.status, 2, refused.text)
        XCTAssertTrue(refused.text.contains("scenario file with SHA-256"), refused.text)

        // The same second twice from one worker: kept once.
        let run = try coordinator.ledger.begin(.init(run: 0, done: false, scale: 1, exemplars: 0), users: 2)
        var window = try JSONDecoder().decode(SecondWindow.self, from: Data(#"{"second": 0, "requests": 5, "errors": 0, "failures": 0, "client": {"digits": 2, "pairs": [1000, 5]}, "app": {"digits": 2, "pairs": []}, "clientMillisecondsSum": 5, "databaseMillisecondsSum": 0, "poolMillisecondsSum": 0, "timedResponses": 0}"#.utf8))
        _ = coordinator.ledger.windows(.init(worker: 0, run: run, through: 1, seconds: [window]))
        window.requests = 50
        _ = coordinator.ledger.windows(.init(worker: 0, run: run, through: 1, seconds: [window]))
        XCTAssertEqual(coordinator.ledger.mergedSeconds(run, from: 0).windows.map(\.requests), [5], "the first report of a second stands")
        XCTAssertEqual(coordinator.ledger.outcome(run).repeatedWindows, 1)

        // Windows that cannot have been recorded are refused before they reach a merge.
        let good = #"{"second": 0, "requests": 5, "errors": 0, "failures": 0, "client": {"digits": 2, "pairs": [1000, 5]}, "app": {"digits": 2, "pairs": []}, "clientMillisecondsSum": 5, "databaseMillisecondsSum": 0, "poolMillisecondsSum": 0, "timedResponses": 0}"#
        for (bad, replacement) in [
            (#""digits": 2, "pairs": [1000, 5]"#, #""digits": 3, "pairs": [1000, 5]"#),
            (#""digits": 2, "pairs": [1000, 5]"#, #""digits": 200, "pairs": [1000, 5]"#),
            (#""digits": 2, "pairs": [1000, 5]"#, #""digits": 2, "pairs": [1000]"#),
            (#""pairs": [1000, 5]"#, #""pairs": [1000, 9223372036854775807]"#),
            (#""second": 0"#, #""second": -1"#),
            (#""second": 0"#, #""second": 9223372036854775807"#),
            (#""requests": 5"#, #""requests": -5"#),
            (#""requests": 5"#, #""requests": 4611686018427387904"#),
        ] {
            let text = good.replacingOccurrences(of: bad, with: replacement)
            XCTAssertThrowsError(try WorkerMessages.decoder.decode(SecondWindow.self, from: Data(text.utf8)), text)
            let body = #"{"worker": 0, "run": 2, "through": 1, "seconds": [\#(text)]}"#
            let answer = try await HTTPFetch.send("POST", url + "/windows", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
            XCTAssertEqual(answer.status, 400, text)
        }
        XCTAssertNoThrow(try WorkerMessages.decoder.decode(SecondWindow.self, from: Data(good.utf8)))
        await coordinator.finish(linger: .zero)
    }

    /// `archmesh run --workers 2 --worker-namespaces`: each worker in a network namespace of its
    /// own, reaching the coordinator and the server across a bridge as pods do; the report holds
    /// exactly the scenario's requests, and nothing of the network is left afterwards.
    func testRunOnTheCommandLineWithWorkersInNamespacesOfTheirOwn() async throws {
        guard getuid() == 0, WorkerNetwork.ipCommand != nil else {
            throw XCTSkip("network namespaces need root and iproute2 (.ci/setup installs iproute2; CI runs as root)")
        }
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = directory.appendingPathComponent("report.json")
        let output = try await ChildProcess.run(
            try ReferenceServer.executable(),
            ["run", "--scenarios", "health_load", "--scale", "0.2", "--workers", "2", "--worker-namespaces", "--no-history", "--output", report.path],
            environment: ["DATABASE_URL": "", "ARCHMESH_CLUSTER_DIR": directory.appendingPathComponent("no-cluster").path])
        XCTAssertEqual(output.status, 0, output.text)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let target = try XCTUnwrap((json["environment"] as? [String: Any])?["target"] as? String)
        XCTAssertTrue(target.contains("http://10.201."), "the server listens on the bridge: \(target)")
        let scenario = try XCTUnwrap((json["scenarios"] as? [[String: Any]])?.first)
        XCTAssertEqual(scenario["total_requests"] as? Int, 200, "20 users x 50 requests x 0.2")
        let distribution = try XCTUnwrap((scenario["load"] as? [String: Any])?["distribution"] as? [String: Any])
        XCTAssertEqual(distribution["workers"] as? Int, 2)
        XCTAssertEqual(distribution["partial"] as? Bool, false)
        for index in 0..<2 {
            let log = try String(contentsOf: directory.appendingPathComponent("report.worker-\(index).log"), encoding: .utf8)
            XCTAssertTrue(log.contains("coordinator=http://10.201.") && log.contains("share done"), log)
        }
        let bridge = try XCTUnwrap(target.firstMatch(of: /http:\/\/(10\.201\.\d+\.1):/)).1
        let addresses = try await ChildProcess.run(try XCTUnwrap(WorkerNetwork.ipCommand), ["-o", "addr", "show"])
        XCTAssertFalse(addresses.text.contains("\(bridge)/24"), "the bridge is removed (and with it the namespaces' links): \(addresses.text)")
    }

    /// Two scenarios: 6 users x 100 requests (closed), and 300 requests/s for 3 s (open), on /health/live.
    static let scenarios = """
        thresholds:
          load: { max_error_rate_percent: 5 }
        endpoints:
          live: { method: GET, path: /health/live }
        scenarios:
          - { key: spread_users, name: Spread users, description: closed, type: load, severity: low, endpoints: [live], users: 6, requests_per_user: 100 }
          - { key: spread_rate, name: Spread rate, description: open, type: load, severity: low, endpoints: [live], rate: 300, duration: 3s, max_in_flight: 6 }
        """

    /// A coordinator for `count` workers and the workers themselves (`archmesh worker` processes
    /// with a pod's environment), registered; stopped afterwards whatever happens.
    static func withWorkers(
        _ count: Int, scenarios: String, silence: Duration = .seconds(5),
        _ body: (Coordinator, LocalWorkers, SuiteConfiguration) async throws -> Void
    ) async throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("scenarios.yaml")
        try scenarios.write(to: file, atomically: true, encoding: .utf8)
        let configuration = try SuiteConfiguration.load(path: file.path)
        var options = Coordinator.Options(workers: count, scenarioDigest: configuration.digest)
        options.silenceLimit = silence
        options.gatherTimeout = .seconds(60)
        let coordinator = try await Coordinator.start(options, logger: Logger(label: "test"))
        let workers = try LocalWorkers.start(
            executable: try ReferenceServer.executable(), count: count, coordinator: "http://127.0.0.1:\(coordinator.port)", configPath: file.path,
            logStem: directory.appendingPathComponent("run"))
        do {
            try await coordinator.gather { workers.exited }
            try await body(coordinator, workers, configuration)
        } catch {
            await coordinator.finish(linger: .zero)
            await workers.stop(grace: .zero)
            throw error
        }
        await coordinator.finish()
        await workers.stop()
    }

    static func directory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-distribution-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Requests of the run tagged `runTag` in the server's log, by worker: the user index is the
    /// request number's top bits, and user `u` belongs to worker `u % workers`.
    static func requestsByWorker(in log: URL, runTag: String, workers: Int) throws -> [Int] {
        var counts = [Int](repeating: 0, count: workers)
        for line in try String(contentsOf: log, encoding: .utf8).split(separator: "\n") {
            guard let match = line.firstMatch(of: /"request_id":"([0-9a-z]{8})-([0-9a-f]{16})"/), match.1 == runTag, let number = UInt64(match.2, radix: 16)
            else { continue }
            counts[Int(number >> 40) % workers] += 1
        }
        return counts
    }
}
