import Foundation
import LoadEngine
@testable import LiveDashboard
import PerfSuite
import Subprocesses
import TargetMonitoring
import XCTest

/// The live dashboard: its figures are the engine's own seconds, a real Chromium sees them change
/// while `archmesh run --dashboard` goes, and the page becomes the final report when the run is over.
final class DashboardTests: XCTestCase {
    /// Every second the dashboard shows is the very window the result holds for that second (the
    /// same requests, failures and percentiles), and the limits are judged on them as they come: a
    /// 20% error rate breaks a 5% limit while a loose latency limit holds.
    func testTheLiveFiguresAreTheResultsOwnSeconds() async throws {
        try await ReferenceServer.with(faults: true) { server in
            try await server.setFaults(#"{"error_rate": 0.2}"#)
            let model = LoadModel.closedDuration(users: 4, duration: .seconds(4), thinkTime: .milliseconds(2))
            let feed = DashboardFeed(command: "archmesh load", target: "test", planned: ["projects"])
            feed.started(
                key: "projects", title: "projects", detail: "", model: model,
                thresholds: Thresholds(maxP95Ms: 60_000, maxErrorRatePercent: 5))
            let result = try await LoadRun.run(server.plan([.get("/api/v1/projects/")], model)) { feed.progress($0) }
            let current = try XCTUnwrap(feed.state.current)
            XCTAssertGreaterThanOrEqual(current.seconds.count, 3, "a point for each second that was over while the run went")
            let bySecond = Dictionary(uniqueKeysWithValues: result.seconds.map { ($0.second, $0) })
            for point in current.seconds {
                let window = try XCTUnwrap(bySecond[point.second], "second \(point.second)")
                XCTAssertEqual(point.requests, window.requests, "second \(point.second)")
                XCTAssertEqual(point.failures, window.failures, "second \(point.second)")
                XCTAssertEqual(point.p95, window.client.histogram.milliseconds(atPercentile: 95), "second \(point.second)")
                XCTAssertEqual(point.p99, window.client.histogram.milliseconds(atPercentile: 99), "second \(point.second)")
            }
            XCTAssertGreaterThan(current.failures, 0)
            XCTAssertEqual(current.failures, current.seconds.reduce(0) { $0 + $1.failures })
            XCTAssertEqual(current.progressPercent ?? 0, 100, accuracy: 30, "near the end of a 4 s run")
            let states = Dictionary(uniqueKeysWithValues: current.checks.map { ($0.name, $0.state) })
            XCTAssertEqual(states["Error rate"], "broken", "\(current.checks)")
            XCTAssertEqual(states["95th percentile response time"], "held", "\(current.checks)")
        }
    }

    /// `archmesh run --dashboard` prints the page's address; Chromium reads the page twice, three
    /// seconds apart, during the endurance scenario: the figures differ, the charts and limits are
    /// there, and the console stays empty. A screenshot is kept as `test-artifacts/dashboard.png`.
    func testChromiumWatchesARunAsItGoes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let chromium = try HeadlessChromium.find(profileIn: directory)
        let output = try TemporaryOutput()
        defer { output.close() }
        let child = try ChildProcess.launch(
            try ReferenceServer.executable(),
            ["run", "--scenarios", "endurance_test", "--scale", "0.3", "--dashboard", "--no-history", "--output", directory.appendingPathComponent("report.json").path],
            output: output.descriptor,
            environment: ["DATABASE_URL": "", "ARCHMESH_CLUSTER_DIR": directory.appendingPathComponent("no-cluster").path])
        // The address, then a state with requests in it.
        var url: String?
        var running = false
        let deadline = ContinuousClock.now + .seconds(120)
        while !running, child.exitStatusIfEnded() == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            if url == nil, let match = output.contents().firstMatch(of: /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/) { url = String(match.1) }
            guard let url, let state = try? await HTTPFetch.send("GET", url + "state") else { continue }
            let json = try JSONSerialization.jsonObject(with: Data(state.body)) as? [String: Any]
            running = ((json?["current"] as? [String: Any])?["requests"] as? Int ?? 0) > 0
        }
        let page = try XCTUnwrap(url, output.contents())
        XCTAssertTrue(running, "the run reached its load: \(output.contents())")

        let first = try await chromium.load(page)
        try await Task.sleep(for: .seconds(3))
        let second = try await chromium.load(page)
        let shot = try await chromium.screenshot(
            page, to: try HeadlessChromium.artifacts().appendingPathComponent("dashboard.png"), height: 1700, budget: 2000)
        XCTAssertEqual(first.console + second.console + shot, [], "no console messages")
        for read in [first, second] {
            XCTAssertTrue(read.dom.contains("endurance_test"), read.dom)
            XCTAssertTrue(read.dom.contains("Latency per second") && read.dom.contains("<svg"), "the charts are drawn")
            XCTAssertTrue(read.dom.contains("Thresholds and objectives"), "the limits are shown")
            XCTAssertTrue(read.dom.contains(#"<span id="status" class="badge verdict">running</span>"#), "the page reached the harness")
        }
        func figures(_ dom: String) -> (sequence: Int, requests: String)? {
            guard let sequence = dom.firstMatch(of: /data-sequence="(\d+)"/), let requests = dom.firstMatch(of: /requests so far<\/div><div class="value">([0-9,]+)/)
            else { return nil }
            return (Int(sequence.1)!, String(requests.1))
        }
        let before = try XCTUnwrap(figures(first.dom), first.dom)
        let after = try XCTUnwrap(figures(second.dom), second.dom)
        XCTAssertGreaterThan(after.sequence, before.sequence, "the state moved on")
        XCTAssertNotEqual(after.requests, before.requests, "the figures changed between the two reads")

        let status = await child.wait()
        XCTAssertTrue(status == 0 || status == 1, "a verdict, not a failure to run: \(output.contents())")
    }

    /// Once the command is over the page shows the final report, fetched from the harness, and a
    /// server whose page has the report stops without waiting. Before the end `/report` says it is not ready.
    func testThePageBecomesTheFinalReportAtTheEnd() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let chromium = try HeadlessChromium.find(profileIn: directory)
        let feed = DashboardFeed(command: "archmesh run", target: "test", planned: ["a"])
        let server = try await DashboardServer.start(feed: feed)
        do {
            let early = try await HTTPFetch.send("GET", server.url + "report")
            XCTAssertEqual(early.status, 404)
            let state = try await HTTPFetch.send("GET", server.url + "state")
            XCTAssertTrue(state.text.contains(#""status":"running""#), state.text)
            feed.finished(key: "a", title: "A", passed: true, requests: 10, requestsPerSecond: 5, p95: 1.5, errorRatePercent: 0, notes: [])
            feed.ended(interrupted: false, reportHTML: "<!DOCTYPE html><html><body><h1>The final report</h1><p id=\"marker\">every scenario</p></body></html>")
            let page = try await chromium.load(server.url, budget: 3000)
            XCTAssertTrue(page.dom.contains("The final report") && page.dom.contains("every scenario"), page.dom)
            XCTAssertFalse(page.dom.contains("archmesh live"), "the live page gave way to the report")
            XCTAssertEqual(page.console, [])
        } catch {
            await server.stop(linger: .zero)
            throw error
        }
        let stopping = ContinuousClock.now
        await server.stop()
        XCTAssertLessThan(ContinuousClock.now - stopping, .seconds(3), "the report was fetched: nothing to wait for")
        let gone = try? await HTTPFetch.send("GET", server.url + "state", timeout: .seconds(1))
        XCTAssertNil(gone, "the server has stopped")
    }

    /// `load --dashboard` and `capacity --dashboard` serve the same page: the load (or each hold)
    /// as the current unit while it runs, its row when it ends, and the command's own report at
    /// `/report` once it is over (the text summary of `load`, the capacity page of `capacity`).
    func testLoadAndCapacityServeTheirDashboardsToo() async throws {
        try await SerialServer.with(service: .milliseconds(5)) { server in
            let load = try await Self.follow(["load", server.url, "-c", "2", "-d", "3s", "--dashboard"])
            XCTAssertEqual(load.status, 0, load.output)
            XCTAssertTrue(load.states.contains { ($0["current"] as? [String: Any])?["key"] as? String == "load" }, "the load ran as the current unit")
            XCTAssertEqual(load.states.last?["command"] as? String, "archmesh load")
            XCTAssertEqual((load.states.last?["finished"] as? [[String: Any]])?.first?["requests"] as? Int, Self.requests(in: load.output))
            XCTAssertTrue(load.report.contains("GET ") && load.report.contains("<pre>"), load.report)

            let capacity = try await Self.follow(["capacity", server.url, "--hold", "1s", "--slo", "p99<250ms", "--no-sweep", "--no-history", "--dashboard"])
            XCTAssertEqual(capacity.status, 0, capacity.output)
            let holds = try XCTUnwrap(capacity.states.last?["finished"] as? [[String: Any]])
            XCTAssertGreaterThanOrEqual(holds.count, 2, "\(holds)")
            XCTAssertEqual(holds.first?["key"] as? String, "hold 1")
            XCTAssertEqual(capacity.states.last?["planned"] as? [String], holds.map { $0["key"] as? String ?? "" })
            XCTAssertTrue(capacity.report.contains("Latency against rate"), "the capacity page")
        }
    }

    /// Runs an `archmesh` command with `--dashboard`, reads its state every 300 ms until it is over,
    /// then its final report; returns them with the exit status and the command's output.
    private static func follow(_ arguments: [String]) async throws -> (status: Int32, output: String, states: [[String: Any]], report: String) {
        let output = try TemporaryOutput()
        defer { output.close() }
        let child = try ChildProcess.launch(try ReferenceServer.executable(), arguments, output: output.descriptor)
        var url: String?
        var states: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(120)
        while child.exitStatusIfEnded() == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            if url == nil, let match = output.contents().firstMatch(of: /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/) { url = String(match.1) }
            guard let url, let read = try? await HTTPFetch.send("GET", url + "state"),
                let state = try JSONSerialization.jsonObject(with: Data(read.body)) as? [String: Any]
            else { continue }
            states.append(state)
            if state["status"] as? String != "running" { break }
        }
        let page = try XCTUnwrap(url, output.contents())
        let report = try await HTTPFetch.send("GET", page + "report")
        XCTAssertEqual(report.status, 200)
        return (await child.wait(), output.contents(), states, report.text)
    }

    /// The request count `archmesh load` printed.
    private static func requests(in output: String) -> Int? {
        output.firstMatch(of: /([0-9]+) requests in/).flatMap { Int($0.1) }
    }
}
