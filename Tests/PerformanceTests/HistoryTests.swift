import ArchMeshDatabase
import Foundation
import PerfSuite
import RunHistory
import Subprocesses
import TestSupport
import XCTest

/// The run history on a real PostgreSQL: recorded runs list newest first, rebuild their reports
/// byte for byte, trend with a real slowdown flagged, and serve as baselines; and through the
/// command line, `run` records, `history` lists, shows and trends, and an unreachable history is a
/// warning, not a failed run.
final class HistoryTests: XCTestCase {
    /// Real runs of `scenario` (its configuration given), each made a report started an hour after
    /// the one before; `slowFrom` on, against a server slowed by 20 ms.
    static func reports(
        of scenario: Scenario, in configuration: SuiteConfiguration, scale: Double = 1, count: Int, slowFrom: Int, commitPrefix: String, hourOffset: Int = 0
    ) async throws -> [SuiteReport] {
        var reports: [SuiteReport] = []
        try await ReferenceServer.with(faults: true) { server in
            for index in 0..<count {
                if index == slowFrom { try await server.setFaults(#"{"latency_ms": 20}"#) }
                let result = try await server.run(scenario, configuration: configuration, scale: scale)
                let start = Date(timeIntervalSince1970: 1_800_000_000 + Double(hourOffset + index) * 3_600)
                var environment = EnvironmentInfo.current(target: server.summary, configuration: configuration.source, scale: scale, postgresVersion: nil, serverLog: nil)
                environment.commit = "\(commitPrefix)\(index)"
                reports.append(SuiteReport(
                    schemaVersion: SuiteReport.currentSchemaVersion, interrupted: false,
                    summary: .init(startTime: start, endTime: start + 10, totalScenarios: 1, passed: result.passed ? 1 : 0, failed: result.passed ? 0 : 1),
                    environment: environment, scenarios: [result]))
            }
        }
        return reports
    }

    /// Three short runs (the last slowed) for listing, rebuilding and baselines, then two of 10 s
    /// at 50 requests/s (the second slowed) that the regression test can judge.
    func testRecordedRunsListRebuildTrendAndServeAsBaselines() async throws {
        let url = try await TestDatabase.emptyDatabase(prefix: "history")
        let store = HistoryStore(url: url, logger: TestDatabase.logger)
        try await store.migrate()
        try await store.migrate()  // a second time applies nothing
        let builtIn = try SuiteConfiguration.builtIn()
        let health = try XCTUnwrap(builtIn.scenarios.first { $0.key == "health_load" })
        let short = try await Self.reports(of: health, in: builtIn, scale: 0.1, count: 3, slowFrom: 2, commitPrefix: "abc123")
        var recorded: [(id: Int64, report: SuiteReport)] = []
        for report in short { recorded.append((try await store.record(report, reportFile: nil), report)) }
        let ids = recorded.map(\.id)
        XCTAssertEqual(ids, ids.sorted())

        let listed = try await store.runs()
        XCTAssertEqual(listed.map(\.id), ids.reversed(), "newest first")
        XCTAssertEqual(listed.first?.scenarios, ["health_load"])
        let none = try await store.runs(scenario: "nope")
        XCTAssertEqual(none.count, 0)
        let ofBuild = try await store.runs(build: "abc1231")
        XCTAssertEqual(ofBuild.map(\.id), [ids[1]])
        let recent = try await store.runs(since: Date(timeIntervalSince1970: 1_800_000_000 + 1 * 3_600))
        XCTAssertEqual(recent.map(\.id), [ids[2], ids[1]])
        let two = try await store.runs(limit: 2)
        XCTAssertEqual(two.count, 2)

        for (id, report) in recorded {
            let rebuilt = try await store.report(run: id)
            XCTAssertEqual(try SuiteReport.encoder.encode(rebuilt), try SuiteReport.encoder.encode(report), "run \(id) rebuilt as written")
        }
        do {
            _ = try await store.report(run: 999_999)
            XCTFail("a run that is not there")
        } catch let error as HistoryError {
            XCTAssertEqual(error, .noSuchRun(999_999))
        }

        let sinceSecond = try await store.trend(scenario: "health_load", last: 10, since: Date(timeIntervalSince1970: 1_800_000_000 + 3_600))
        XCTAssertEqual(sinceSecond.map(\.run), Array(ids.suffix(2)), "--since keeps the runs started on or after it")
        let shortTrend = try await HistoryTrend.build(scenario: "health_load", last: 2, from: store)
        XCTAssertEqual(shortTrend.rows.map(\.point.run), Array(ids.suffix(2)), "the last two, oldest first")
        XCTAssertNil(shortTrend.rows[0].regressions, "the first has nothing to be judged against")
        XCTAssertTrue(shortTrend.rows[1].notJudged?.contains("too short") == true, "a run of 0.1 s is not judged, and says so")

        let last = try await store.baseline(.last, scenarios: ["health_load"])
        XCTAssertEqual(last.run, ids[2])
        let named = try await store.baseline(.run(ids[1]), scenarios: ["health_load"])
        XCTAssertEqual(named.run, ids[1])
        let best = try await store.baseline(.bestOf(3), scenarios: ["health_load"])
        XCTAssertNotEqual(best.run, ids[2], "the slowed run is not the best")
        do {
            _ = try await store.baseline(.last, scenarios: ["projects_load"])
            XCTFail("no run has projects_load")
        } catch let error as HistoryError {
            XCTAssertTrue(error.description.contains("projects_load"), error.description)
        }

        let steadyText = """
            thresholds: {load: {}}
            endpoints: {live: {method: GET, path: /health/live}}
            scenarios:
              - key: steady
                type: load
                severity: low
                endpoints: [live]
                rate: 50
                duration: 10s
                objectives: [p50<15ms]
            """
        let steadyConfiguration = try SuiteConfiguration.parse(steadyText, file: "steady.yaml")
        let steady = try await Self.reports(of: steadyConfiguration.scenarios[0], in: steadyConfiguration, count: 2, slowFrom: 1, commitPrefix: "def456", hourOffset: 10)
        for report in steady { try await store.record(report, reportFile: nil) }
        let trend = try await HistoryTrend.build(scenario: "steady", last: 10, from: store)
        XCTAssertEqual(trend.rows.count, 2)
        let slowed = try XCTUnwrap(trend.rows.last?.regressions)
        XCTAssertTrue(slowed.contains { $0.hasPrefix("latency_p50_ms") }, "the 20 ms slowdown is flagged: \(slowed) \(trend.rows.last?.notJudged ?? "")")
        XCTAssertEqual(trend.objectives.first?.objective, "p50<15ms")
        XCTAssertEqual(trend.objectives.first?.held, 1, "held before the slowdown, not after")
        XCTAssertEqual(trend.objectives.first?.judged, 2)
        let text = HistoryText.trend(trend)
        XCTAssertTrue(text.contains("REGRESSION latency_p50_ms"), text)
        XCTAssertTrue(text.contains("Objective p50<15ms: held in 1 of 2 runs (50%)"), text)
        let page = HistoryText.html(trend)
        XCTAssertTrue(page.contains("<svg") && page.contains("regression against the run before"), "the slowed run is marked on the charts")
        XCTAssertFalse(page.contains("<script"), "no script")
    }

    func testBaselineReferencesAreReadAsFilesRunsOrChoices() throws {
        XCTAssertEqual(try BaselineReference("last", fileExists: { _ in false }), .last)
        XCTAssertEqual(try BaselineReference("last", fileExists: { _ in true }), .file("last"), "a file of that name wins")
        XCTAssertEqual(try BaselineReference("12", fileExists: { _ in false }), .run(12))
        XCTAssertEqual(try BaselineReference("best-of:5", fileExists: { _ in false }), .bestOf(5))
        XCTAssertEqual(try BaselineReference("baseline.json", fileExists: { _ in false }), .file("baseline.json"))
        for bad in ["best-of:0", "best-of:", "best-of:x", "best-of:101"] {
            XCTAssertThrowsError(try BaselineReference(bad, fileExists: { _ in false }), bad)
        }
    }

    /// The command line, with the history in a database of its own (ARCHMESH_HISTORY_URL).
    func testRunRecordsAndHistoryListsShowsAndTrends() async throws {
        let url = try await TestDatabase.emptyDatabase(prefix: "historycli")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["ARCHMESH_HISTORY_URL": url.secretURLString]
        let archmesh = try ReferenceServer.executable()
        var reports: [String] = []
        for index in 1...2 {
            let report = directory.appendingPathComponent("report\(index).json").path
            reports.append(report)
            let output = try await ChildProcess.run(archmesh, ["run", "--scenarios", "health_load", "--scale", "0.05", "--output", report], environment: environment)
            XCTAssertEqual(output.status, 0, output.text)
            XCTAssertTrue(output.text.contains("Recorded as run \(index) in the history"), output.text)
        }
        let list = try await ChildProcess.run(archmesh, ["history"], environment: environment)
        XCTAssertEqual(list.status, 0, list.text)
        let rows = list.text.split(separator: "\n").filter { $0.first?.isNumber == true }
        XCTAssertEqual(rows.map { $0.split(separator: " ").first.map(String.init) }, ["2", "1"], list.text)

        let shown = directory.appendingPathComponent("shown.json").path
        let show = try await ChildProcess.run(archmesh, ["history", "show", "2", "--json", shown], environment: environment)
        XCTAssertEqual(show.status, 0, show.text)
        XCTAssertEqual(try SuiteReport.encoder.encode(try SuiteReport.read(from: shown)), try SuiteReport.encoder.encode(try SuiteReport.read(from: reports[1])))

        let trend = try await ChildProcess.run(archmesh, ["history", "trend", "--scenario", "health_load"], environment: environment)
        XCTAssertEqual(trend.status, 0, trend.text)
        XCTAssertTrue(trend.text.contains("health_load: its last 2 complete recorded runs"), trend.text)

        let compared = try await ChildProcess.run(
            archmesh, ["run", "--scenarios", "health_load", "--scale", "0.05", "--output", directory.appendingPathComponent("report3.json").path,
                "--baseline", "last"], environment: environment)
        XCTAssertTrue([0, 3].contains(compared.status), compared.text)
        XCTAssertTrue(compared.text.contains("run 2 (--baseline last)"), compared.text)

        let badChoice = try await ChildProcess.run(archmesh, ["run", "--scenarios", "health_load", "--baseline", "best-of:0"], environment: environment)
        XCTAssertEqual(badChoice.status, 2, badChoice.text)

        let unreachable = try await ChildProcess.run(
            archmesh, ["run", "--scenarios", "health_load", "--scale", "0.05", "--output", directory.appendingPathComponent("report4.json").path],
            environment: ["ARCHMESH_HISTORY_URL": "postgres://nobody:nothing@127.0.0.1:1/none"])
        XCTAssertEqual(unreachable.status, 0, unreachable.text)
        XCTAssertTrue(unreachable.text.contains("warning: the run was not recorded in the history"), unreachable.text)
    }
}
