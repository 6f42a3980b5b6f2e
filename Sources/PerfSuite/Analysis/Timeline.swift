import LoadEngine
import TargetMonitoring

/// One second of a scenario, client and server side by side.
public struct TimelinePoint: Codable, Sendable, Equatable {
    public var second: Int
    public var requests: Int
    public var errors: Int
    public var clientP50: Double
    public var clientP95: Double
    public var clientP99: Double
    public var appP50: Double?
    public var appP95: Double?
    public var appP99: Double?
    /// Mean client latency and mean database time of the second's requests, in milliseconds.
    public var clientMean: Double
    public var databaseMean: Double?
    public var poolMean: Double?
    public var serverCPUPercent: Double?
    public var serverMemoryMB: Double?
    public var postgresCPUPercent: Double?

    enum CodingKeys: String, CodingKey {
        case second, requests, errors, clientP50 = "clientP50Ms", clientP95 = "clientP95Ms", clientP99 = "clientP99Ms"
        case appP50 = "appP50Ms", appP95 = "appP95Ms", appP99 = "appP99Ms", clientMean = "clientMeanMs", databaseMean = "dbMeanMs"
        case poolMean = "poolMeanMs", serverCPUPercent, serverMemoryMB, postgresCPUPercent
    }
}

/// The per-second series of a scenario and what they say together.
public struct Timeline: Codable, Sendable, Equatable {
    public var points: [TimelinePoint]
    /// Pearson correlation, over the seconds, between the mean database time and the mean client
    /// latency; nil with fewer than three seconds or a constant series.
    public var databaseLatencyCorrelation: Double?
    /// Runs of consecutive seconds with errors: an outage shows here as one window.
    public var errorWindows: [ErrorWindow]

    enum CodingKeys: String, CodingKey {
        case points, databaseLatencyCorrelation = "dbLatencyCorrelation", errorWindows
    }

    /// Joins the load's windows with the resource samples (both count seconds from the start of the
    /// run; a second takes the mean of the samples that fall in it).
    public init(seconds: [SecondWindow], resources: [ResourceSeries]) {
        let server = SamplesBySecond(resources.server)
        let postgres = SamplesBySecond(resources.postgres)
        points = seconds.map { window in
            let client = window.client.histogram
            let app = window.app.histogram
            let timed = window.timedResponses
            return TimelinePoint(
                second: window.second, requests: window.requests, errors: window.errors,
                clientP50: client.milliseconds(atPercentile: 50), clientP95: client.milliseconds(atPercentile: 95),
                clientP99: client.milliseconds(atPercentile: 99),
                appP50: timed == 0 ? nil : app.milliseconds(atPercentile: 50), appP95: timed == 0 ? nil : app.milliseconds(atPercentile: 95),
                appP99: timed == 0 ? nil : app.milliseconds(atPercentile: 99),
                clientMean: client.totalCount == 0 ? 0 : window.clientMillisecondsSum / Double(client.totalCount),
                databaseMean: timed == 0 ? nil : window.databaseMillisecondsSum / Double(timed),
                poolMean: timed == 0 ? nil : window.poolMillisecondsSum / Double(timed),
                serverCPUPercent: server.mean(in: window.second, \.cpuPercentOfMachine),
                serverMemoryMB: server.mean(in: window.second, \.memoryMB),
                postgresCPUPercent: postgres.mean(in: window.second, \.cpuPercentOfMachine))
        }
        let paired = points.compactMap { point in point.databaseMean.map { ($0, point.clientMean) } }
        databaseLatencyCorrelation = Self.pearson(paired)
        errorWindows = ErrorWindow.windows(in: points)
    }

    /// A series' samples grouped by the whole second they fall in, once for all of the seconds.
    struct SamplesBySecond {
        let samples: [Int: [ResourceSample]]

        init(_ series: ResourceSeries?) {
            samples = Dictionary(grouping: series?.samples ?? []) { Int($0.second.rounded(.down)) }
        }

        func mean(in second: Int, _ value: KeyPath<ResourceSample, Double>) -> Double? {
            guard let inSecond = samples[second], !inSecond.isEmpty else { return nil }
            return inSecond.reduce(0) { $0 + $1[keyPath: value] } / Double(inSecond.count)
        }
    }

    /// Pearson's r of the pairs; nil when it is undefined.
    public static func pearson(_ pairs: [(Double, Double)]) -> Double? {
        guard pairs.count >= 3 else { return nil }
        let n = Double(pairs.count)
        let meanX = pairs.reduce(0) { $0 + $1.0 } / n
        let meanY = pairs.reduce(0) { $0 + $1.1 } / n
        var covariance = 0.0, varianceX = 0.0, varianceY = 0.0
        for (x, y) in pairs {
            covariance += (x - meanX) * (y - meanY)
            varianceX += (x - meanX) * (x - meanX)
            varianceY += (y - meanY) * (y - meanY)
        }
        guard varianceX > 0, varianceY > 0 else { return nil }
        return covariance / (varianceX * varianceY).squareRoot()
    }
}

/// Consecutive seconds in which requests failed.
public struct ErrorWindow: Codable, Sendable, Equatable {
    public var startSecond: Int
    /// The first second after the window (exclusive).
    public var endSecond: Int
    public var errors: Int
    public var requests: Int

    static func windows(in points: [TimelinePoint]) -> [ErrorWindow] {
        var windows: [ErrorWindow] = []
        for point in points where point.errors > 0 {
            if var last = windows.last, last.endSecond == point.second {
                last.endSecond = point.second + 1
                last.errors += point.errors
                last.requests += point.requests
                windows[windows.count - 1] = last
            } else {
                windows.append(ErrorWindow(startSecond: point.second, endSecond: point.second + 1, errors: point.errors, requests: point.requests))
            }
        }
        return windows
    }
}
