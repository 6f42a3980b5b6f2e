import Foundation
import LoadEngine
import PerfSuite
import Subprocesses
import TestSupport
import XCTest

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A real report from a real server: it matches the JSON Schema in `schemas/`, its counts reconcile,
/// its exemplars are in the server's log, and its HTML and JUnit renderings open where users open them.
final class ReportOutputTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testRealReportMatchesSchemaReconcilesAndRenders() async throws {
        try await ReferenceServer.with { server in
            let configuration = try SuiteConfiguration.builtIn()
            let scenarios = try ScenarioSelection(keys: ["projects_volume", "health_spike", "memory_test"]).apply(to: configuration)
            var options = SuiteRunner.Options()
            options.scale = 0.2
            options.leakCycles = 4
            let reportFile = server.directory.appendingPathComponent("report.json")
            options.outputPath = reportFile.path
            let runner = SuiteRunner(configuration: configuration, scenarios: scenarios, environment: server, options: options, logger: TestDatabase.logger)
            let report = await runner.run()

            let validator = try JSONSchemaValidator(schemaFile: Self.packageRoot.appendingPathComponent("schemas/report.schema.json"))
            let failures = try validator.failures(of: Data(contentsOf: reportFile))
            XCTAssertEqual(failures.map(\.description), [], "the written report matches schemas/report.schema.json")
            let reread = try SuiteReport.read(from: reportFile.path)
            XCTAssertEqual(reread.scenarios.map(\.key), ["health_spike", "projects_volume", "memory_test"])

            let volume = try XCTUnwrap(report.scenarios.first { $0.key == "projects_volume" }?.analysis)
            let counts = volume.reconciliation
            XCTAssertTrue(counts.agrees, "\(counts.findings)")
            XCTAssertEqual(counts.serverRequests, counts.clientRequests)
            XCTAssertEqual(counts.databaseQueries, counts.serverReportedQueries)
            XCTAssertGreaterThan(try XCTUnwrap(volume.statements).count, 0)
            XCTAssertNotEqual(volume.breakdown.first?.verdict.component, .unknown)
            XCTAssertFalse(volume.exemplars.isEmpty)
            for logged in volume.exemplars {
                XCTAssertTrue(logged.logLine?.contains(logged.exemplar.requestID) == true, "exemplar \(logged.exemplar.requestID) is in the server log")
                // The trace it was sent in: in the report, and in the server's log line for it.
                let trace = try XCTUnwrap(logged.exemplar.traceID)
                XCTAssertTrue(logged.logLine?.contains(#""trace_id":"\#(trace)""#) == true, "trace \(trace) in \(logged.logLine ?? "")")
            }
            XCTAssertNotNil(report.scenarios.last?.leak, "the memory scenario carries its leak check")

            try Self.checkJUnit(report)
            try await Self.checkHTMLInChromium(report, in: server.directory)
        }
    }

    /// JUnit XML that parses, with a test case per scenario and a failure per violation.
    static func checkJUnit(_ report: SuiteReport) throws {
        let xml = JUnitReport.render(report)
        final class Counter: NSObject, XMLParserDelegate {
            var testcases = 0, failures = 0
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                if name == "testcase" { testcases += 1 }
                if name == "failure" { failures += 1 }
            }
        }
        let counter = Counter()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "JUnit XML parses: \(String(describing: parser.parserError))")
        XCTAssertEqual(counter.testcases, report.scenarios.count)
        let expected = report.scenarios.reduce(0) { $0 + ($1.violations.isEmpty ? ($1.passed ? 0 : 1) : $1.violations.count) }
        XCTAssertEqual(counter.failures, expected)
    }

    /// The HTML in headless Chromium: it loads without errors, its SVG charts are in the rendered DOM,
    /// and a screenshot is kept in `test-artifacts/` for a person to look at.
    static func checkHTMLInChromium(_ report: SuiteReport, in directory: URL) async throws {
        let html = HTMLReport.render(report)
        XCTAssertFalse(html.contains("<script"), "readable without scripts")
        for reference in [#"src="http"#, #"href="http"#, "url(http", "@import", "<link"] {
            XCTAssertFalse(html.contains(reference), "no network access needed: found \(reference)")
        }
        XCTAssertFalse(html.contains("NaN") || html.contains("inf\""), "no broken numbers in the charts")
        let file = directory.appendingPathComponent("report.html")
        try html.write(to: file, atomically: true, encoding: .utf8)
        let chromium = try HeadlessChromium.find(profileIn: directory)
        let console = try await chromium.screenshot(file.absoluteString, to: try HeadlessChromium.artifacts().appendingPathComponent("report.png"))
        let page = try await chromium.load(file.absoluteString)
        XCTAssertEqual(console + page.console, [], "no console messages")
        XCTAssertGreaterThanOrEqual(page.dom.components(separatedBy: "<svg").count - 1, 8, "the charts are in the rendered page")
        for key in ["projects_volume", "health_spike", "memory_test"] { XCTAssertTrue(page.dom.contains(key), key) }
        XCTAssertFalse(page.dom.contains("This page isn’t working") || page.dom.contains("ERR_"), "Chromium shows the page, not an error")
    }
}
