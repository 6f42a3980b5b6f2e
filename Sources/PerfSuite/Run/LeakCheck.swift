import Foundation
import LoadEngine
import Logging
import TargetMonitoring

/// Several cycles of the same load, the server's resident memory read once it settles after each,
/// and the trend judged by `LeakDetector`.
public struct LeakCheck: Sendable {
    public var cycles: Int
    public var detector: LeakDetector
    /// How long to let memory settle after a cycle, at most.
    public var settleTimeout: Duration

    public init(cycles: Int = 6, detector: LeakDetector = LeakDetector(), settleTimeout: Duration = .seconds(3)) {
        self.cycles = cycles
        self.detector = detector
        self.settleTimeout = settleTimeout
    }

    /// Runs `plan` `cycles` times against the environment's server; stops early when cancelled.
    public func run(_ plan: LoadPlan, source: ResourceMonitor.Source, logger: Logger) async throws -> LeakDetector.Verdict {
        var samples: [LeakDetector.Sample] = []
        var requests = 0
        for cycle in 1...cycles {
            if Task.isCancelled { break }
            let result = try await LoadRun.run(plan)
            requests += result.totalRequests
            guard let resident = await settledResidentBytes(source) else {
                logger.warning("the server's memory is not readable; the leak check stops")
                break
            }
            samples.append(.init(cycle: cycle, requests: requests, residentBytes: resident))
            logger.debug("leak check cycle", metadata: ["cycle": "\(cycle)", "requests": "\(requests)", "resident_bytes": "\(resident)"])
        }
        return detector.judge(samples)
    }

    /// Reads every 200 ms until two readings in a row are within 1% (or the timeout passes).
    func settledResidentBytes(_ source: ResourceMonitor.Source) async -> Int? {
        let deadline = ContinuousClock.now + settleTimeout
        var previous = await ResourceMonitor.serverResidentBytes(source)
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(200))
            guard let current = await ResourceMonitor.serverResidentBytes(source) else { return previous }
            if let last = previous, abs(Double(current - last)) <= Double(last) / 100 { return current }
            previous = current
        }
        return previous
    }
}
