import Foundation
import NIOSSL
import Observability

/// Samples the target's CPU and memory while load runs: the server and PostgreSQL by PID from
/// /proc when they run here, or the server's own figures from its `/metrics` when it runs elsewhere.
/// The harness's own process is never measured.
public final class ResourceMonitor: Sendable {
    /// What to watch.
    public enum Source: Sendable {
        /// Local processes (either may be absent).
        case processes(server: ProcessGroup?, postgres: ProcessGroup?)
        /// A server at `baseURL` (`http://host:port`) whose `/metrics` has `process_cpu_seconds_total`
        /// and `process_resident_memory_bytes`.
        case metrics(baseURL: String, tls: TLSConfiguration? = nil)
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
        case .metrics(let baseURL, let tls):
            return try? await PrometheusText.processFigures(from: baseURL, tls: tls).residentBytes
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
        case .metrics(let baseURL, let tls):
            var readings: [(second: Double, cpuSeconds: Double, residentBytes: Int)] = []
            repeat {
                if let reading = try? await PrometheusText.processFigures(from: baseURL, tls: tls) { readings.append((elapsed(), reading.cpuSeconds, reading.residentBytes)) }
                if Task.isCancelled { break }
                try? await Task.sleep(for: interval)
            } while true
            // /metrics gives the server's CPU time, not how many cores its machine has: count one.
            return [ResourceSeries(process: "server", source: "metrics", readings: readings, cores: 1)]
        }
    }
}
