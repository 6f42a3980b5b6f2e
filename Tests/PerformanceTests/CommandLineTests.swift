import Foundation
import Observability
import PerfSuite
import Subprocesses
import TestSupport
import XCTest

/// `archmesh run` as a user types it: bad input exits 2 with a message that says what to fix, and
/// Ctrl-C leaves a valid report marked interrupted and no process behind.
final class CommandLineTests: XCTestCase {
    func testBadScenarioFileExitsTwoNamingFileAndPlace() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        try "thresholds: {}\nendpoints: {}\nscenarios:\n  - key: a\n    users: many\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try await ChildProcess.run(try ReferenceServer.executable(), ["run", "--config", file.path])
        XCTAssertEqual(output.status, 2, output.text)
        XCTAssertTrue(output.text.contains("\(file.path): scenarios[0]"), output.text)
    }

    func testUnknownScenarioExitsTwoListingTheValidOnes() async throws {
        let output = try await ChildProcess.run(try ReferenceServer.executable(), ["run", "--scenarios", "health_lod"])
        XCTAssertEqual(output.status, 2, output.text)
        XCTAssertTrue(output.text.contains("unknown scenario health_lod; valid: health_load, health_stress"), output.text)
        let type = try await ChildProcess.run(try ReferenceServer.executable(), ["run", "--type", "soak"])
        XCTAssertEqual(type.status, 2, type.text)
        XCTAssertTrue(type.text.contains("load") && type.text.contains("endurance"), type.text)
    }

    func testListShowsTheTenScenarios() async throws {
        let output = try await ChildProcess.run(try ReferenceServer.executable(), ["run", "--list"])
        XCTAssertEqual(output.status, 0, output.text)
        for key in ["health_load", "health_spike", "projects_volume", "endurance_test", "cpu_test"] { XCTAssertTrue(output.text.contains(key), key) }
    }

    func testBadRateLimitsAreRefusedSayingWhatToWrite() async throws {
        for (arguments, message) in [
            (["--rate-limit", "5/day"], "--rate-limit must be a positive count per s, min or hour"),
            (["--rate-limit", "100/s", "--rate-limit-key", "cookie"], "--rate-limit-key must be address or header:NAME"),
            (["--rate-limit-burst", "5"], "need --rate-limit"),
            (["--rate-limit", "100/s", "--rate-limit-burst", "0"], "--rate-limit-burst must be 1 to 1000000"),
        ] {
            let output = try await ChildProcess.run(try ReferenceServer.executable(), ["serve", "--port", "0"] + arguments)
            XCTAssertEqual(output.status, 2, output.text)
            XCTAssertTrue(output.text.contains(message), output.text)
        }
    }

    func testMissingBaselineIsAClearError() async throws {
        let output = try await ChildProcess.run(try ReferenceServer.executable(), ["compare", "/nonexistent/new.json", "/nonexistent/base.json"])
        XCTAssertEqual(output.status, 2, output.text)
        XCTAssertTrue(output.text.contains("/nonexistent/new.json"), output.text)
    }

    /// `run --tls --http2`: the reference server serves HTTPS with a throwaway certificate the load
    /// trusts (verification on), the suite runs over h2, the server's timings come back, and the
    /// certificate's files are gone when the command ends. `--http2` alone is refused: without TLS
    /// the server speaks h2c only, and the harness's own calls need HTTP/1.1.
    func testRunOverTLSAndHTTP2WithAThrowawayCertificate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-tlsrun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = directory.appendingPathComponent("report.json").path
        let output = try await ChildProcess.run(
            try ReferenceServer.executable(),
            ["run", "--tls", "--http2", "--streams", "4", "--scenarios", "health_load", "--scale", "0.1", "--output", report, "--no-history"],
            environment: ["TMPDIR": directory.path])
        XCTAssertEqual(output.status, 0, output.text)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        let target = try XCTUnwrap((json["environment"] as? [String: Any])?["target"] as? String)
        XCTAssertTrue(target.contains("https://127.0.0.1:") && target.contains("HTTP/2"), target)
        let scenario = try XCTUnwrap((json["scenarios"] as? [[String: Any]])?.first)
        XCTAssertEqual(scenario["success_rate_percent"] as? Double, 100, "\(scenario["errors"] ?? "")")
        let breakdown = try XCTUnwrap(((scenario["analysis"] as? [String: Any])?["breakdown"] as? [[String: Any]])?.first)
        XCTAssertEqual(breakdown["timed_responses"] as? Int, breakdown["requests"] as? Int, "every response carried its Server-Timing")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("archmesh-tls-") }
        XCTAssertEqual(left, [], "the throwaway certificate's files are removed")

        let refused = try await ChildProcess.run(try ReferenceServer.executable(), ["run", "--http2", "--scenarios", "health_load"])
        XCTAssertEqual(refused.status, 2, refused.text)
        XCTAssertTrue(refused.text.contains("needs --tls"), refused.text)
    }

    /// The default suite's journey over HTTPS (the throwaway certificate, verification on): every
    /// journey completes, its steps carry their server timings; with --http2 too, the journey runs
    /// over HTTP/1.1 and says so.
    func testTheJourneyRunsOverHTTPS() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-tlsjourney-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for http2 in [false, true] {
            let report = directory.appendingPathComponent("report-\(http2).json").path
            let output = try await ChildProcess.run(
                try ReferenceServer.executable(),
                ["run", "--tls"] + (http2 ? ["--http2"] : []) + ["--scenarios", "workflow_journey", "--scale", "0.15", "--output", report, "--no-history"],
                environment: ["TMPDIR": directory.path])
            XCTAssertEqual(output.status, 0, output.text)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
            let scenario = try XCTUnwrap((json["scenarios"] as? [[String: Any]])?.first)
            let load = try XCTUnwrap(scenario["load"] as? [String: Any])
            XCTAssertTrue((load["target"] as? String)?.hasPrefix("https://") == true, "\(load["target"] ?? "")")
            XCTAssertNotNil(load["tls"], "the handshakes are reported")
            let journeys = try XCTUnwrap(load["journeys"] as? [String: Any])
            XCTAssertGreaterThan(journeys["completed"] as? Int ?? 0, 0, "\(journeys)")
            XCTAssertEqual(journeys["failed"] as? Int, 0, "\(journeys)")
            XCTAssertNil(load["http2_streams_per_connection"])
            let notes = scenario["errors"] as? [String] ?? []
            XCTAssertEqual(notes.contains { $0.contains("journeys do not speak HTTP/2") }, http2, "\(notes)")
            for step in (scenario["analysis"] as? [String: Any])?["breakdown"] as? [[String: Any]] ?? [] {
                XCTAssertEqual(step["timed_responses"] as? Int, step["requests"] as? Int, "\(step["endpoint"] ?? "")")
            }
        }
    }

    /// SIGINT in the middle of the endurance scenario: exit 130, the report so far is valid JSON
    /// marked interrupted, and neither the server nor PostgreSQL outlives the command.
    func testInterruptLeavesAValidReportAndNoProcess() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-interrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = directory.appendingPathComponent("report.json")
        let postmastersBefore = Self.postmasters()
        let output = try TemporaryOutput()
        defer { output.close() }
        let child = try ChildProcess.launch(
            try ReferenceServer.executable(), ["run", "--scenarios", "health_load", "endurance_test", "--output", report.path, "--no-history"],
            output: output.descriptor,
            // Its own throwaway cluster, even when `archmesh db` keeps one running on this machine.
            environment: ["DATABASE_URL": "", "ARCHMESH_CLUSTER_DIR": directory.appendingPathComponent("no-cluster").path])
        // Wait until the endurance scenario runs (the report is first written when health_load ends), then interrupt.
        let deadline = ContinuousClock.now + .seconds(120)
        while !FileManager.default.fileExists(atPath: report.path), child.exitStatusIfEnded() == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .seconds(3))
        let descendants = Self.descendants(of: child.pid)
        XCTAssertFalse(descendants.isEmpty, "the server runs under the command")
        let postmastersDuring = Self.postmasters().subtracting(postmastersBefore)
        XCTAssertEqual(postmastersDuring.count, 1, "the command's own PostgreSQL")
        child.signal(SIGINT)
        let status = await child.wait()
        XCTAssertEqual(status, 130, output.contents())
        let data = try Data(contentsOf: report)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["interrupted"] as? Bool, true)
        let scenarios = try XCTUnwrap(object["scenarios"] as? [[String: Any]])
        XCTAssertEqual(scenarios.first?["key"] as? String, "health_load")
        XCTAssertEqual(scenarios.last?["interrupted"] as? Bool, true)
        try await Task.sleep(for: .milliseconds(500))
        let survivors = descendants.filter(ProcessTable.isRunning)
        XCTAssertEqual(survivors, [], "every process the command started has exited")
        let postmastersAfter = Self.postmasters()
        XCTAssertTrue(postmastersDuring.isDisjoint(with: postmastersAfter), "the command's PostgreSQL was stopped")
    }

    /// Every process below `pid`, from /proc.
    static func descendants(of pid: Int32) -> [Int32] {
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
        let parents = all.compactMap { child in ProcessStatistics.parentPID(of: child).map { (child: child, parent: $0) } }
        var found: [Int32] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            let children = parents.filter { $0.parent == next }.map(\.child)
            found += children
            frontier += children
        }
        return found
    }

    /// PostgreSQL servers running now (pg_ctl detaches them from whoever started them; backends
    /// rename their command line, so only postmasters match).
    static func postmasters() -> Set<Int32> {
        Set(ProcessTable.pids(commandContaining: "/bin/postgres -D "))
    }
}

/// `archmesh capacity` as a user types it.
final class CapacityCommandLineTests: XCTestCase {
    /// Against a one-worker server of 100 requests/s: exit 0, JSON that matches its schema with an
    /// answer at or below the capacity, and an HTML page with its charts.
    func testCapacityPrintsJSONMatchingItsSchemaAndWritesHTML() async throws {
        try await SerialServer.with(service: .milliseconds(10)) { server in
            let html = FileManager.default.temporaryDirectory.appendingPathComponent("capacity-\(UUID().uuidString).html")
            defer { try? FileManager.default.removeItem(at: html) }
            // Recorded in a history of its own (a database of the test cluster).
            let history = ["ARCHMESH_HISTORY_URL": try await TestDatabase.emptyDatabase(prefix: "capacityhistory").secretURLString]
            let output = try await ChildProcess.run(try ReferenceServer.executable(), [
                "capacity", server.url, "--hold", "1s", "--slo", "p99<250ms", "--slo", "errors<1%", "--sweep-users", "1,2,4", "--sweep-hold", "1s",
                "--json", "--html", html.path,
            ], environment: history)
            XCTAssertEqual(output.status, 0, output.text)
            // Progress goes to stderr (merged here, before the JSON); the JSON is the rest.
            let start = try XCTUnwrap(output.text.range(of: "\n{\n") ?? output.text.range(of: "{\n"), output.text)
            let end = try XCTUnwrap(output.text.range(of: "\n}", options: .backwards), output.text)
            let json = Data(output.text[start.lowerBound..<end.upperBound].utf8)
            XCTAssertTrue(output.text.contains("HTML: \(html.path)"), "the page's path, on stderr")
            let validator = try JSONSchemaValidator(schemaFile: ReportOutputTests.packageRoot.appendingPathComponent("schemas/capacity.schema.json"))
            XCTAssertEqual(try validator.failures(of: json).map(\.description), [])
            let decoded = try ReportCoding.decoder.decode(CapacityReport.self, from: json)
            XCTAssertEqual(decoded.maxSustainableRPS, decoded.steps.last { $0.met }.map { min($0.rate, $0.achievedRPS) })
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            let found = try XCTUnwrap(object["max_sustainable_rps"] as? Double, output.text)
            XCTAssertLessThanOrEqual(found, server.capacity)
            XCTAssertNotNil(object["usl"], "three concurrencies give a fit")
            let page = try String(contentsOf: html, encoding: .utf8)
            XCTAssertTrue(page.contains("<svg") && page.contains("Latency against rate") && page.contains("Concurrency sweep"))
            XCTAssertFalse(page.contains("<script"))

            // The search is in the history: listed as a capacity search, shown again, trended by its key.
            let key = "capacity:" + (decoded.endpoints.first ?? "")
            XCTAssertTrue(output.text.contains("Recorded as run 1 in the history") && output.text.contains("key \(key)"), output.text)
            let list = try await ChildProcess.run(try ReferenceServer.executable(), ["history"], environment: history)
            XCTAssertTrue(list.text.contains("capacity: answered"), list.text)
            let shown = FileManager.default.temporaryDirectory.appendingPathComponent("capacity-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: shown) }
            let show = try await ChildProcess.run(try ReferenceServer.executable(), ["history", "show", "1", "--json", shown.path], environment: history)
            XCTAssertEqual(show.status, 0, show.text)
            let rebuilt = try ReportCoding.decoder.decode(CapacityReport.self, from: Data(contentsOf: shown))
            XCTAssertEqual(try ReportCoding.encoder.encode(rebuilt), try ReportCoding.encoder.encode(decoded), "rebuilt as recorded")
            let trend = try await ChildProcess.run(try ReferenceServer.executable(), ["history", "trend", "--scenario", key], environment: history)
            XCTAssertEqual(trend.status, 0, trend.text)
            XCTAssertTrue(trend.text.contains("\(key): its one complete recorded run"), trend.text)
        }
    }

    /// A target that accepts no connection: the search stops at once and says so, with its JSON
    /// written and exit 1, instead of a bare "cannot connect" that drops what it measured.
    func testATargetThatAcceptsNothingStopsTheSearchWithAWrittenResult() async throws {
        let port = try await SerialServer.with(service: .milliseconds(1)) { $0.port }  // stopped: nobody listens there now
        let output = try await ChildProcess.run(try ReferenceServer.executable(), [
            "capacity", "http://127.0.0.1:\(port)/", "--hold", "1s", "--no-sweep", "--json", "--no-history",
        ])
        XCTAssertEqual(output.status, 1, output.text)
        let start = try XCTUnwrap(output.text.range(of: "{\n"), output.text)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.text[start.lowerBound...].utf8)) as? [String: Any])
        let stopped = try XCTUnwrap(object["stopped"] as? String, output.text)
        XCTAssertTrue(stopped.contains("accepted no connection at 10 requests/s") && stopped.contains("refused"), stopped)
        XCTAssertNil(object["max_sustainable_rps"])
    }

    func testBadObjectivesAndMissingTargetsExitTwoSayingWhatToWrite() async throws {
        let bad = try await ChildProcess.run(try ReferenceServer.executable(), ["capacity", "http://127.0.0.1:9/", "--slo", "p99>50ms"])
        XCTAssertEqual(bad.status, 2, bad.text)
        XCTAssertTrue(bad.text.contains("p99<50ms"), bad.text)
        let neither = try await ChildProcess.run(try ReferenceServer.executable(), ["capacity"])
        XCTAssertEqual(neither.status, 2, neither.text)
        XCTAssertTrue(neither.text.contains("--scenario"), neither.text)
        let nameless = try await ChildProcess.run(try ReferenceServer.executable(), ["load", "http://127.0.0.1:9/", "-H", ": value"])
        XCTAssertEqual(nameless.status, 2, nameless.text)
        XCTAssertTrue(nameless.text.contains("'Name: value'"), nameless.text)
        let mixed = try await ChildProcess.run(try ReferenceServer.executable(), ["capacity", "--scenario", "health_load", "-H", "X-Empty:"])
        XCTAssertEqual(mixed.status, 2, mixed.text)
        XCTAssertTrue(mixed.text.contains("go with a URL"), mixed.text)
        let unknown = try await ChildProcess.run(try ReferenceServer.executable(), ["capacity", "--scenario", "health_lod", "--no-sweep"])
        XCTAssertEqual(unknown.status, 2, unknown.text)
        XCTAssertTrue(unknown.text.contains("health_load"), unknown.text)
    }
}
