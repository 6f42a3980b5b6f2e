import Histogram

/// What happened in one second of a run, summed over endpoints.
public struct SecondWindow: Codable, Sendable, Equatable {
    /// Seconds from the run's start.
    public var second: Int
    public var requests: Int
    /// Requests that ended with an error of any kind, 4xx answers included.
    public var errors: Int
    /// Requests that failed: transport errors and 5xx answers (what error rates count; no 4xx).
    public var failures: Int
    /// Client latency (corrected), microseconds, two significant digits.
    public var client: SparseHistogram
    /// Server handler time (`app`), microseconds, two significant digits.
    public var app: SparseHistogram
    /// Sums, for per-second means: client, database and pool milliseconds, and how many responses carried timings.
    public var clientMillisecondsSum: Double
    public var databaseMillisecondsSum: Double
    public var poolMillisecondsSum: Double
    public var timedResponses: Int

    init(second: Int) {
        self.second = second
        requests = 0
        errors = 0
        failures = 0
        client = SparseHistogram(digits: 2)
        app = SparseHistogram(digits: 2)
        clientMillisecondsSum = 0
        databaseMillisecondsSum = 0
        poolMillisecondsSum = 0
        timedResponses = 0
    }

    enum CodingKeys: String, CodingKey {
        case second, requests, errors, failures, client, app, clientMillisecondsSum, databaseMillisecondsSum, poolMillisecondsSum, timedResponses
    }

    /// Reads a window; one written before `failures` was kept counts its errors as failures. A
    /// window that cannot have been recorded (it may come from another process) is refused: a
    /// second outside a run's span, a count below zero or beyond any run, histograms of another
    /// precision than the windows' two digits.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func count(_ key: CodingKeys) throws -> Int { try container.decodeCount(forKey: key) }
        second = try container.decode(Int.self, forKey: .second)
        guard (0...Self.lastSecond).contains(second) else {
            throw DecodingError.dataCorruptedError(forKey: .second, in: container, debugDescription: "second \(second) is outside any run")
        }
        requests = try count(.requests)
        errors = try count(.errors)
        failures = try container.contains(.failures) ? count(.failures) : errors
        client = try container.decode(SparseHistogram.self, forKey: .client)
        app = try container.decode(SparseHistogram.self, forKey: .app)
        guard client.digits == 2, app.digits == 2 else {
            throw DecodingError.dataCorruptedError(forKey: .client, in: container, debugDescription: "a second's histograms have two significant digits")
        }
        clientMillisecondsSum = try container.decode(Double.self, forKey: .clientMillisecondsSum)
        databaseMillisecondsSum = try container.decode(Double.self, forKey: .databaseMillisecondsSum)
        poolMillisecondsSum = try container.decode(Double.self, forKey: .poolMillisecondsSum)
        timedResponses = try count(.timedResponses)
    }

    /// A second past a year of running is no second of a run.
    static let lastSecond = 366 * 86_400


    /// Lists of windows (each process's, each loop's) as one list, each second's windows combined, in order.
    public static func merged(_ lists: [[SecondWindow]]) -> [SecondWindow] {
        var bySecond: [Int: SecondWindow] = [:]
        for list in lists { merge(list, into: &bySecond) }
        return bySecond.values.sorted { $0.second < $1.second }
    }

    public static func merge(_ windows: [SecondWindow], into bySecond: inout [Int: SecondWindow]) {
        for window in windows {
            if bySecond[window.second] == nil { bySecond[window.second] = window } else { bySecond[window.second]!.merge(window) }
        }
    }

    /// Two workers' views of the same second, combined.
    mutating func merge(_ other: SecondWindow) {
        requests += other.requests
        errors += other.errors
        failures += other.failures
        var clientHistogram = client.histogram
        clientHistogram.add(other.client.histogram)
        client = SparseHistogram(clientHistogram)
        var appHistogram = app.histogram
        appHistogram.add(other.app.histogram)
        app = SparseHistogram(appHistogram)
        clientMillisecondsSum += other.clientMillisecondsSum
        databaseMillisecondsSum += other.databaseMillisecondsSum
        poolMillisecondsSum += other.poolMillisecondsSum
        timedResponses += other.timedResponses
    }
}

/// Per-second windows for one worker: the open second as full histograms, closed ones compacted to
/// their non-empty buckets, so memory grows with the run's duration, never with its request count.
struct SecondWindows {
    private(set) var closed: [SecondWindow] = []
    private var open: SecondWindow?
    private var openClient = LatencyHistogram.latency(digits: .two)
    private var openApp = LatencyHistogram.latency(digits: .two)

    mutating func record(_ sample: Sample) {
        let second = Int(sample.finishedAt / 1_000_000_000)
        if open?.second != second { roll(to: second) }
        open!.requests += 1
        if let error = sample.error {
            open!.errors += 1
            if error.isFailure { open!.failures += 1 }
        }
        guard sample.status > 0 || sample.error == .timeout else { return }
        openClient.recordClamped(sample.correctedMicros)
        open!.clientMillisecondsSum += Double(sample.correctedMicros) / 1000
        if let timing = sample.serverTiming {
            openApp.recordClamped(LatencyHistogram.micros(fromMilliseconds: timing.appMilliseconds))
            open!.databaseMillisecondsSum += timing.databaseMilliseconds
            open!.poolMillisecondsSum += timing.poolMilliseconds
            open!.timedResponses += 1
        }
    }

    /// The windows of seconds `from..<before`, the open one included (as it is now): what a watch
    /// of the run reads once those seconds are over.
    func snapshot(from: Int, before: Int) -> [SecondWindow] {
        var windows: [SecondWindow] = []
        for window in closed.reversed() {
            if window.second < from { break }
            if window.second < before { windows.append(window) }
        }
        windows.reverse()
        if var window = open, window.second >= from, window.second < before {
            window.client = SparseHistogram(openClient)
            window.app = SparseHistogram(openApp)
            windows.append(window)
        }
        return windows
    }

    /// Closes the open window; call once the run is over.
    mutating func closeAll() {
        if open != nil { roll(to: Int.max) }
    }

    private mutating func roll(to second: Int) {
        if var window = open {
            window.client = SparseHistogram(openClient)
            window.app = SparseHistogram(openApp)
            closed.append(window)
            openClient.reset()
            openApp.reset()
        }
        open = second == Int.max ? nil : SecondWindow(second: second)
    }
}
