import Foundation

/// Decides whether a server leaks from its resident memory after each of several load cycles: a
/// line fitted through (requests so far, memory) and its slope's 95% interval. Two samples cannot
/// tell growth from noise; a trend with its uncertainty can.
public struct LeakDetector: Sendable {
    /// A slope whose whole 95% interval lies above this many bytes per request is a leak.
    public var bytesPerRequestLimit: Double
    /// Cycles left out at the start while allocators and caches warm up.
    public var warmupCycles: Int

    public init(bytesPerRequestLimit: Double = 256, warmupCycles: Int = 1) {
        self.bytesPerRequestLimit = bytesPerRequestLimit
        self.warmupCycles = warmupCycles
    }

    /// One settled reading after a cycle.
    public struct Sample: Codable, Sendable, Equatable {
        public var cycle: Int
        public var requests: Int
        public var residentBytes: Int

        public init(cycle: Int, requests: Int, residentBytes: Int) {
            self.cycle = cycle
            self.requests = requests
            self.residentBytes = residentBytes
        }
    }

    public struct Verdict: Codable, Sendable, Equatable {
        public var leaking: Bool
        public var samples: [Sample]
        /// Bytes retained per request, with its interval; nil with too few cycles.
        public var fit: Statistics.LineFit?
        public var bytesPerRequestLimit: Double
        public var explanation: String
    }

    public func judge(_ samples: [Sample]) -> Verdict {
        let used = Array(samples.dropFirst(warmupCycles))
        guard let fit = Statistics.fitLine(used.map { (Double($0.requests), Double($0.residentBytes)) }) else {
            return Verdict(leaking: false, samples: samples, fit: nil, bytesPerRequestLimit: bytesPerRequestLimit,
                explanation: "too few cycles after the warm-up (\(used.count)) to fit a trend; need 3")
        }
        let leaking = fit.slopeLow > bytesPerRequestLimit
        let interval = String(format: "%.0f bytes per request (95%% interval %.0f to %.0f)", fit.slope, fit.slopeLow, fit.slopeHigh)
        let explanation = leaking
            ? "memory grows by \(interval): the whole interval is above \(Int(bytesPerRequestLimit))"
            : "memory trend \(interval): not all above \(Int(bytesPerRequestLimit)), no leak shown"
        return Verdict(leaking: leaking, samples: samples, fit: fit, bytesPerRequestLimit: bytesPerRequestLimit, explanation: explanation)
    }
}
