import NIOSSL
import Foundation

/// Reading the figures the harness needs out of a Prometheus text exposition.
public enum PrometheusText {
    /// A sample's value, or nil when it is not a finite number (`NaN`, `+Inf`, beyond a Double):
    /// a target's figures are read with care, never trapped on.
    static func value(_ line: Substring) -> Double? {
        guard let text = line.split(separator: " ").last, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// A count as a whole number, or nil when it is negative or too large to be one.
    public static func wholeNumber(_ value: Double) -> Int? {
        value >= 0 && value < 9e18 ? Int(value.rounded()) : nil
    }

    /// The sum of every sample of `name` whose labels contain all of `labels` (name="value" pairs).
    public static func sum(_ name: String, labels: [String: String] = [:], in text: String) -> Double {
        var total = 0.0
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let afterName = line.dropFirst(name.count)
            guard afterName.first == " " || afterName.first == "{" else { continue }
            if !labels.isEmpty {
                guard afterName.first == "{", let close = afterName.firstIndex(of: "}") else { continue }
                let labelText = afterName[afterName.index(after: afterName.startIndex)..<close]
                guard labels.allSatisfy({ labelText.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
            }
            if let value = value(line) { total += value }
        }
        return total
    }

    /// Samples of `name` by the value of one label, e.g. request counts by route.
    public static func byLabel(_ name: String, label: String, in text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") {
            guard let range = line.range(of: "\(label)=\""), let end = line[range.upperBound...].firstIndex(of: "\"") else { continue }
            let key = String(line[range.upperBound..<end])
            if let value = value(line) { result[key, default: 0] += value }
        }
        return result
    }

    /// `process_cpu_seconds_total` and `process_resident_memory_bytes` from the `/metrics` of the
    /// server at `baseURL`.
    public static func processFigures(from baseURL: String, tls: TLSConfiguration? = nil) async throws -> (cpuSeconds: Double, residentBytes: Int) {
        let response = try await HTTPFetch.send("GET", baseURL + "/metrics", timeout: .seconds(2), tls: tls)
        let text = response.text
        let resident = sum("process_resident_memory_bytes", in: text)
        return (sum("process_cpu_seconds_total", in: text), wholeNumber(resident) ?? 0)
    }
}
