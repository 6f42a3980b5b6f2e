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

    /// A process's latest sample as it is taken ("server" or "postgres"), for a live view.
    public typealias Watcher = @Sendable (_ process: String, _ sample: ResourceSample) -> Void

    /// Starts sampling every `interval` until `stop()`; `watcher` sees each sample as it is taken.
    public static func start(
        _ source: Source, interval: Duration = .milliseconds(250), cores: Int = ProcessStatistics.cpuCount, watcher: Watcher? = nil
    ) -> ResourceMonitor {
        ResourceMonitor(task: Task.detached {
            await sample(source, interval: interval, cores: cores, watcher: watcher)
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

    private static func sample(_ source: Source, interval: Duration, cores: Int, watcher: Watcher?) async -> [ResourceSeries] {
        let start = MonotonicClock.nanoseconds()
        func elapsed() -> Double { Double(MonotonicClock.nanoseconds() &- start) / 1e9 }
        func keep(_ reading: ResourceReading, of process: String, in readings: inout [ResourceReading], cores: Int) {
            if let watcher, let previous = readings.last { watcher(process, ResourceSample(from: previous, to: reading, cores: cores)) }
            readings.append(reading)
        }
        switch source {
        case .processes(let server, let postgres):
            var readers = [server.map { ("server", ProcessGroupReader(group: $0)) }, postgres.map { ("postgres", ProcessGroupReader(group: $0)) }]
                .compactMap { $0 }
            var readings = Array(repeating: [ResourceReading](), count: readers.count)
            repeat {
                let now = elapsed()
                for index in readers.indices {
                    if let reading = readers[index].1.read() { keep((now, reading.cpuSeconds, reading.residentBytes), of: readers[index].0, in: &readings[index], cores: cores) }
                }
                if Task.isCancelled { break }
                try? await Task.sleep(for: interval)
            } while true
            return readers.indices.map { ResourceSeries(process: readers[$0].0, source: "proc", readings: readings[$0], cores: cores) }
        case .metrics(let baseURL, let tls):
            // /metrics gives the server's CPU time, not how many cores its machine has: count one.
            var readings: [ResourceReading] = []
            repeat {
                if let reading = try? await PrometheusText.processFigures(from: baseURL, tls: tls) {
                    keep((elapsed(), reading.cpuSeconds, reading.residentBytes), of: "server", in: &readings, cores: 1)
                }
                if Task.isCancelled { break }
                try? await Task.sleep(for: interval)
            } while true
            return [ResourceSeries(process: "server", source: "metrics", readings: readings, cores: 1)]
        }
    }
}
