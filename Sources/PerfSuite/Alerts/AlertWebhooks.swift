import Foundation
import TargetMonitoring

/// Posts alerts to webhooks (`--alert-webhook`): each alert one JSON POST, a failed attempt (no
/// answer within `attemptTimeout`, refused, or a status other than 2xx) tried again after a pause,
/// at most `attempts` times; every webhook is posted to at once, and the whole is bounded by
/// `deadline`, so that a webhook that fails never fails or holds up the run. What could not be
/// delivered comes back as warnings.
public struct AlertWebhooks: Sendable {
    public var urls: [String]
    public var attempts = 3
    public var attemptTimeout: Duration = .seconds(3)
    public var pause: Duration = .milliseconds(500)
    public var deadline: Duration = .seconds(30)
    /// More alerts than this in one run are sent as this many, the last saying how many were left out.
    public var maximumPerRun = 20

    public init(urls: [String]) {
        self.urls = urls
    }

    /// Sends `alerts` to every webhook; returns a warning per alert a webhook did not take.
    public func send(_ alerts: [Alert]) async -> [String] {
        guard !urls.isEmpty, !alerts.isEmpty else { return [] }
        let batch = Self.capped(alerts, at: maximumPerRun)
        let bodies = batch.map { alert in (alert, (try? Self.encoder.encode(alert)).map(Array.init) ?? []) }
        let settings = self
        let work = Task {
            await withTaskGroup(of: [String].self) { group in
                for url in settings.urls {
                    group.addTask {
                        var warnings: [String] = []
                        for (alert, body) in bodies {
                            if let failure = await settings.post(body, to: url) {
                                warnings.append("the alert webhook \(url) did not take the \(alert.kind.rawValue) alert: \(failure)")
                            }
                        }
                        return warnings
                    }
                }
                var all: [String] = []
                for await warnings in group { all += warnings }
                return all
            }
        }
        let timer = Task {
            try await Task.sleep(for: deadline)
            work.cancel()
        }
        let warnings = await work.value
        timer.cancel()
        return warnings
    }

    /// One alert to one webhook, tried up to `attempts` times; nil when taken, else the last failure.
    func post(_ body: [UInt8], to url: String) async -> String? {
        var failure = "not sent"
        for attempt in 1...attempts {
            if Task.isCancelled { return "gave up at the \(deadline) deadline: \(failure)" }
            do {
                let response = try await HTTPFetch.send("POST", url, headers: [("Content-Type", "application/json")], body: body, timeout: attemptTimeout)
                if (200..<300).contains(response.status) { return nil }
                failure = "answered \(response.status)"
            } catch {
                failure = "\(error)"
            }
            if attempt < attempts { try? await Task.sleep(for: pause * attempt) }
        }
        return "\(failure) after \(attempts) attempts"
    }

    /// At most `maximum` alerts, the last saying how many more there were.
    public static func capped(_ alerts: [Alert], at maximum: Int) -> [Alert] {
        guard alerts.count > maximum, maximum > 0 else { return alerts }
        var kept = Array(alerts.prefix(maximum - 1))
        var last = alerts[maximum - 1]
        let left = alerts.count - maximum
        last.text += " (and \(left) more alerts not sent; see the report)"
        kept.append(last)
        return kept
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
