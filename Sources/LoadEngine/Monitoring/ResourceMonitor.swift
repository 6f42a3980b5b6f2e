import Foundation
import Observability

/// Samples the target's CPU and memory while load runs: the server and PostgreSQL by PID from
/// /proc when they run here, or the server's own figures from its `/metrics` when it runs elsewhere.
/// The harness's own process is never measured.
public final class ResourceMonitor: Sendable {
    /// What to watch.
    public enum Source: Sendable {
        /// Local processes (either may be absent).
        case processes(server: ProcessGroup?, postgres: ProcessGroup?)
        /// A server that exposes `process_cpu_seconds_total` and `process_resident_memory_bytes`.
        case metrics(LoadTarget)
    }

    private let task: Task<[ResourceSeries], Never>

    private init(task: Task<[ResourceSeries], Never>) {
        self.task = task
    }

    /// Starts sampling every `interval` until `stop()`.
    public static func start(_ source: Source, interval: Duration = .milliseconds(250), cores: Int = ProcessStatistics.cpuCount) -> ResourceMonitor {
        ResourceMonitor(task: Task.detached {
            await sample(source, interval: interval, cores: cores)
        })
    }

    /// The server's resident memory now, in bytes (from /proc or its `/metrics`); nil when unreadable.
    public static func serverResidentBytes(_ source: Source) async -> Int? {
        switch source {
        case .processes(let server, _):
            guard let server else { return nil }
            var reader = ProcessGroupReader(group: server)
            return reader.read()?.residentBytes
        case .metrics(let target):
            return try? await PrometheusText.processFigures(from: target).residentBytes
        }
    }

    /// Takes a last reading and returns the series (server first, then PostgreSQL when watched).
    public func stop() async -> [ResourceSeries] {
        task.cancel()
        return await task.value
    }

    private static func sample(_ source: Source, interval: Duration, cores: Int) async -> [ResourceSeries] {
        let start = MonotonicClock.nanoseconds()
        func elapsed() -> Double { Double(MonotonicClock.nanoseconds() &- start) / 1e9 }
        switch source {
        case .processes(let server, let postgres):
            var readers = [server.map { ("server", ProcessGroupReader(group: $0)) }, postgres.map { ("postgres", ProcessGroupReader(group: $0)) }]
                .compactMap { $0 }
            var readings = Array(repeating: [(second: Double, cpuSeconds: Double, residentBytes: Int)](), count: readers.count)
            repeat {
                let now = elapsed()
                for index in readers.indices {
                    if let reading = readers[index].1.read() { readings[index].append((now, reading.cpuSeconds, reading.residentBytes)) }
                }
                if Task.isCancelled { break }
                try? await Task.sleep(for: interval)
            } while true
            return readers.indices.map { ResourceSeries(process: readers[$0].0, source: "proc", readings: readings[$0], cores: cores) }
        case .metrics(let target):
            var readings: [(second: Double, cpuSeconds: Double, residentBytes: Int)] = []
            repeat {
                if let reading = try? await PrometheusText.processFigures(from: target) { readings.append((elapsed(), reading.cpuSeconds, reading.residentBytes)) }
                if Task.isCancelled { break }
                try? await Task.sleep(for: interval)
            } while true
            // /metrics gives the server's CPU time, not how many cores its machine has: count one.
            return [ResourceSeries(process: "server", source: "metrics", readings: readings, cores: 1)]
        }
    }
}

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

    /// `process_cpu_seconds_total` and `process_resident_memory_bytes` from the target's `/metrics`.
    public static func processFigures(from target: LoadTarget) async throws -> (cpuSeconds: Double, residentBytes: Int) {
        let response = try await HTTPFetch.send("GET", "/metrics", to: target, timeout: .seconds(2))
        let text = response.text
        let resident = sum("process_resident_memory_bytes", in: text)
        return (sum("process_cpu_seconds_total", in: text), wholeNumber(resident) ?? 0)
    }
}
