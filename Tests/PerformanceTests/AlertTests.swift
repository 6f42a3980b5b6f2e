import Foundation
import PerfSuite
import Subprocesses
import TestSupport
import XCTest

/// Alert webhooks against a local receiver: retried until taken, bounded when the receiver never
/// answers, a warning when it is not there; and through `archmesh run`, a failing run's thresholds
/// arrive as alerts with their figures.
final class AlertTests: XCTestCase {
    static func sampleAlert(_ index: Int) -> Alert {
        Alert(kind: .threshold, text: "archmesh: alert \(index)", run: 7, report: "/tmp/report.json", scenario: "health_load",
              objective: "max_p95_ms", measured: 2_400, limit: 2_000, baseline: nil, startedAt: Date(timeIntervalSince1970: 1_800_000_000), target: "test")
    }

    func testAlertsAreRetriedUntilTakenAndArriveWithTheirFields() async throws {
        let receiver = try await WebhookReceiver.start(failFirst: 2)
        defer { Task { await receiver.stop() } }
        var webhooks = AlertWebhooks(urls: [receiver.url])
        webhooks.pause = .milliseconds(20)
        let warnings = await webhooks.send([Self.sampleAlert(1), Self.sampleAlert(2)])
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(receiver.requests, 4, "the first alert took three attempts, the second one")
        let accepted = receiver.accepted
        XCTAssertEqual(accepted.map { $0["text"] as? String }, ["archmesh: alert 1", "archmesh: alert 2"])
        XCTAssertEqual(accepted.first?["scenario"] as? String, "health_load")
        XCTAssertEqual(accepted.first?["measured"] as? Double, 2_400)
        XCTAssertEqual(accepted.first?["limit"] as? Double, 2_000)
        XCTAssertEqual(accepted.first?["run"] as? Int, 7)
        XCTAssertEqual(accepted.first?["kind"] as? String, "threshold")
    }

    func testASilentOrMissingWebhookIsAWarningWithinTheDeadline() async throws {
        let silent = try await WebhookReceiver.start(silent: true)
        defer { Task { await silent.stop() } }
        let gone = try await WebhookReceiver.start()
        let goneURL = gone.url
        await gone.stop()
        var webhooks = AlertWebhooks(urls: [silent.url, goneURL])
        webhooks.attemptTimeout = .milliseconds(300)
        webhooks.pause = .milliseconds(10)
        webhooks.deadline = .seconds(2)
        let started = ContinuousClock.now
        let warnings = await webhooks.send((0..<5).map(Self.sampleAlert))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10), "bounded by the deadline, not by 5 alerts x 3 attempts")
        XCTAssertTrue(warnings.contains { $0.contains(silent.url) }, "\(warnings)")
        XCTAssertEqual(warnings.filter { $0.contains(goneURL) }.count, 5, "\(warnings)")
    }

    func testMoreAlertsThanTheCapAreSentAsTheCapSayingHowManyWereLeftOut() {
        let capped = AlertWebhooks.capped((0..<30).map(Self.sampleAlert), at: 20)
        XCTAssertEqual(capped.count, 20)
        XCTAssertTrue(capped.last?.text.contains("and 10 more alerts not sent") == true, capped.last?.text ?? "")
    }

    /// A run whose every request fails: its failed thresholds arrive at the webhook with their
    /// figures; a webhook off this machine is refused before anything runs.
    func testAFailingRunPostsItsFailedThresholds() async throws {
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-alerts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = directory.appendingPathComponent("report.json").path
        let output = try await ChildProcess.run(
            try ReferenceServer.executable(),
            ["run", "--scenarios", "health_load", "--scale", "0.05", "--server-faults", #"{"error_rate": 1}"#, "--output", report,
             "--no-history", "--alert-webhook", receiver.url])
        XCTAssertEqual(output.status, 1, output.text)
        let alerts = receiver.accepted
        XCTAssertFalse(alerts.isEmpty, output.text)
        XCTAssertTrue(alerts.allSatisfy { $0["scenario"] as? String == "health_load" && $0["kind"] as? String == "threshold" }, "\(alerts)")
        let success = try XCTUnwrap(alerts.first { $0["objective"] as? String == "success_rate_percent" }, "\(alerts)")
        XCTAssertEqual(success["measured"] as? Double, 0)
        XCTAssertEqual(success["report"] as? String, report)
        XCTAssertTrue((success["text"] as? String)?.contains("health_load failed success_rate_percent") == true, "\(success)")

        let remote = try await ChildProcess.run(try ReferenceServer.executable(), ["run", "--alert-webhook", "http://192.0.2.1/hook"])
        XCTAssertEqual(remote.status, 2, remote.text)
        XCTAssertTrue(remote.text.contains("--allow-remote"), remote.text)
    }
}
