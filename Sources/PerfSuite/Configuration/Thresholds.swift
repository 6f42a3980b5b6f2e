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

/// One limit against its figure: what a live view shows for every limit, and a report for each broken one.
public struct ThresholdCheck: Codable, Sendable, Equatable {
    /// The limit's name in reports (`p95_response_time_ms`).
    public var metric: String
    public var label: String
    public var unit: String
    public var limit: Double
    /// True for a ceiling (`max_...`), false for a floor (`min_...`).
    public var isCeiling: Bool
    /// Nil when the figure was not measured, and then the limit is not judged.
    public var actual: Double?

    /// Whether the limit held; nil when it could not be judged.
    public var held: Bool? { actual.map { isCeiling ? !($0 > limit) : !($0 < limit) } }

    /// The violation, when the limit did not hold.
    public var violation: ThresholdViolation? {
        guard let actual, held == false else { return nil }
        let verb = isCeiling ? "exceeds" : "is below"
        return ThresholdViolation(
            metric: metric, limit: limit, actual: actual,
            message: "\(label) \(Self.format(actual))\(unit) \(verb) the limit of \(Self.format(limit))\(unit)")
    }

    /// A limit or figure as reports write it: whole numbers bare, others with two decimals.
    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.2f", value)
    }
}

extension Thresholds {
    /// Every limit that is set, each with the figure it is judged on.
    public func checks(of figures: JudgedFigures) -> [ThresholdCheck] {
        var checks: [ThresholdCheck] = []
        func add(_ metric: String, _ label: String, _ unit: String, ceiling: Bool, _ actual: Double?, _ limit: Double?) {
            guard let limit else { return }
            checks.append(ThresholdCheck(metric: metric, label: label, unit: unit, limit: limit, isCeiling: ceiling, actual: actual))
        }
        add("average_response_time_ms", "Average response time", " ms", ceiling: true, figures.averageMs, maxAverageMs)
        add("p95_response_time_ms", "95th percentile response time", " ms", ceiling: true, figures.p95Ms, maxP95Ms)
        add("requests_per_second", "Throughput", " requests/s", ceiling: false, figures.requestsPerSecond, minRPS)
        add("max_cpu_percent", "Server CPU", "%", ceiling: true, figures.maxCPUPercent, maxCPUPercent)
        add("max_memory_mb", "Server memory", " MB", ceiling: true, figures.maxMemoryMB, maxMemoryMB)
        add("success_rate_percent", "Success rate", "%", ceiling: false, figures.successPercent, minSuccessPercent)
        add("error_rate_percent", "Error rate", "%", ceiling: true, figures.errorRatePercent, maxErrorRatePercent)
        return checks
    }

    /// Every limit `figures` break; a limit on a figure that was not measured is not judged.
    public func violations(of figures: JudgedFigures) -> [ThresholdViolation] {
        checks(of: figures).compactMap(\.violation)
    }
}
