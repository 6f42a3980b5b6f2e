import Foundation

/// A scenario's limits; a nil limit is not checked.
public struct Thresholds: Codable, Sendable, Equatable {
    public var maxAverageMs: Double?
    public var maxP95Ms: Double?
    public var minRPS: Double?
    public var maxCPUPercent: Double?
    public var maxMemoryMB: Double?
    public var minSuccessPercent: Double?
    public var maxErrorRatePercent: Double?

    public init(
        maxAverageMs: Double? = nil, maxP95Ms: Double? = nil, minRPS: Double? = nil, maxCPUPercent: Double? = nil,
        maxMemoryMB: Double? = nil, minSuccessPercent: Double? = nil, maxErrorRatePercent: Double? = nil
    ) {
        self.maxAverageMs = maxAverageMs
        self.maxP95Ms = maxP95Ms
        self.minRPS = minRPS
        self.maxCPUPercent = maxCPUPercent
        self.maxMemoryMB = maxMemoryMB
        self.minSuccessPercent = minSuccessPercent
        self.maxErrorRatePercent = maxErrorRatePercent
    }

    /// The limits, by the names scenario files and reports give them (snake case, see `ReportCoding`).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxAverageMs, maxP95Ms, minRPS, maxCPUPercent, maxMemoryMB, minSuccessPercent, maxErrorRatePercent

        var fileName: String { ReportCoding.snakeCase(rawValue) }
    }

    /// These thresholds with every limit `override` sets replaced.
    public func overridden(by override: Thresholds?) -> Thresholds {
        guard let override else { return self }
        return Thresholds(
            maxAverageMs: override.maxAverageMs ?? maxAverageMs, maxP95Ms: override.maxP95Ms ?? maxP95Ms,
            minRPS: override.minRPS ?? minRPS, maxCPUPercent: override.maxCPUPercent ?? maxCPUPercent,
            maxMemoryMB: override.maxMemoryMB ?? maxMemoryMB, minSuccessPercent: override.minSuccessPercent ?? minSuccessPercent,
            maxErrorRatePercent: override.maxErrorRatePercent ?? maxErrorRatePercent)
    }
}

/// The figures a scenario is judged on.
public struct JudgedFigures: Sendable, Equatable {
    public var averageMs: Double
    public var p95Ms: Double
    public var requestsPerSecond: Double
    /// Nil when the server's CPU and memory could not be measured (a remote target without /metrics).
    public var maxCPUPercent: Double?
    public var maxMemoryMB: Double?
    public var successPercent: Double
    public var errorRatePercent: Double

    public init(
        averageMs: Double, p95Ms: Double, requestsPerSecond: Double, maxCPUPercent: Double?, maxMemoryMB: Double?, successPercent: Double,
        errorRatePercent: Double
    ) {
        self.averageMs = averageMs
        self.p95Ms = p95Ms
        self.requestsPerSecond = requestsPerSecond
        self.maxCPUPercent = maxCPUPercent
        self.maxMemoryMB = maxMemoryMB
        self.successPercent = successPercent
        self.errorRatePercent = errorRatePercent
    }
}

/// A limit a scenario did not keep.
public struct ThresholdViolation: Codable, Sendable, Equatable {
    public var metric: String
    public var limit: Double
    public var actual: Double
    public var message: String
}

extension Thresholds {
    /// Every limit `figures` break; a limit on a figure that was not measured is not judged.
    public func violations(of figures: JudgedFigures) -> [ThresholdViolation] {
        var violations: [ThresholdViolation] = []
        func above(_ metric: String, _ label: String, _ unit: String, _ actual: Double?, _ limit: Double?) {
            guard let actual, let limit, actual > limit else { return }
            violations.append(ThresholdViolation(
                metric: metric, limit: limit, actual: actual, message: "\(label) \(format(actual))\(unit) exceeds the limit of \(format(limit))\(unit)"))
        }
        func below(_ metric: String, _ label: String, _ unit: String, _ actual: Double?, _ limit: Double?) {
            guard let actual, let limit, actual < limit else { return }
            violations.append(ThresholdViolation(
                metric: metric, limit: limit, actual: actual, message: "\(label) \(format(actual))\(unit) is below the limit of \(format(limit))\(unit)"))
        }
        above("average_response_time_ms", "Average response time", " ms", figures.averageMs, maxAverageMs)
        above("p95_response_time_ms", "95th percentile response time", " ms", figures.p95Ms, maxP95Ms)
        below("requests_per_second", "Throughput", " requests/s", figures.requestsPerSecond, minRPS)
        above("max_cpu_percent", "Server CPU", "%", figures.maxCPUPercent, maxCPUPercent)
        above("max_memory_mb", "Server memory", " MB", figures.maxMemoryMB, maxMemoryMB)
        below("success_rate_percent", "Success rate", "%", figures.successPercent, minSuccessPercent)
        above("error_rate_percent", "Error rate", "%", figures.errorRatePercent, maxErrorRatePercent)
        return violations
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.2f", value)
    }
}
