/// One reading of a monitored process (or group of processes) during a run.
public struct ResourceSample: Codable, Sendable, Equatable {
    /// Seconds from the start of monitoring.
    public var second: Double
    /// CPU used since the previous reading, as a percentage of one core (200 = two cores busy).
    public var cpuPercentOfCore: Double
    /// The same as a share of the whole machine (100 = every core busy).
    public var cpuPercentOfMachine: Double
    /// Resident memory in megabytes (MiB).
    public var memoryMB: Double

    enum CodingKeys: String, CodingKey {
        case second, cpuPercentOfCore, cpuPercentOfMachine = "cpuPercent", memoryMB
    }
}

extension ResourceSample {
    /// The reading at `current`: CPU over the span since `previous`, memory at `current`.
    init(from previous: ResourceReading, to current: ResourceReading, cores: Int) {
        let wall = max(current.second - previous.second, 1e-6)
        let core = max(0, current.cpuSeconds - previous.cpuSeconds) / wall * 100
        self.init(
            second: current.second, cpuPercentOfCore: core, cpuPercentOfMachine: core / Double(max(cores, 1)),
            memoryMB: Double(current.residentBytes) / 1_048_576)
    }
}

/// A raw reading: seconds from the start of monitoring, cumulative CPU seconds, resident bytes.
typealias ResourceReading = (second: Double, cpuSeconds: Double, residentBytes: Int)

/// A process's readings over a run and what they add up to.
public struct ResourceSeries: Codable, Sendable, Equatable {
    /// What was watched: "server", "postgres".
    public var process: String
    /// How: "proc" (this machine's /proc) or "metrics" (the target's /metrics).
    public var source: String
    public var samples: [ResourceSample]
    /// CPU over the whole monitored span (total CPU time over wall time), share of the machine.
    public var meanCPUPercent: Double
    /// The highest reading, share of the machine.
    public var maxCPUPercent: Double
    public var maxMemoryMB: Double
    /// Resident memory at the last reading.
    public var finalMemoryMB: Double

    /// Builds the summary from raw readings of cumulative CPU seconds and resident bytes.
    init(process: String, source: String, readings: [ResourceReading], cores: Int) {
        self.process = process
        self.source = source
        var samples: [ResourceSample] = []
        for (previous, current) in zip(readings, readings.dropFirst()) {
            samples.append(ResourceSample(from: previous, to: current, cores: cores))
        }
        self.samples = samples
        if let first = readings.first, let last = readings.last, last.second > first.second {
            meanCPUPercent = max(0, last.cpuSeconds - first.cpuSeconds) / (last.second - first.second) * 100 / Double(max(cores, 1))
        } else {
            meanCPUPercent = 0
        }
        maxCPUPercent = samples.map(\.cpuPercentOfMachine).max() ?? meanCPUPercent
        maxMemoryMB = readings.map { Double($0.residentBytes) / 1_048_576 }.max() ?? 0
        finalMemoryMB = readings.last.map { Double($0.residentBytes) / 1_048_576 } ?? 0
    }
}

extension Array where Element == ResourceSeries {
    /// The server's series, when it was watched.
    public var server: ResourceSeries? { first { $0.process == "server" } }
    /// PostgreSQL's series, when it was watched.
    public var postgres: ResourceSeries? { first { $0.process == "postgres" } }
}
