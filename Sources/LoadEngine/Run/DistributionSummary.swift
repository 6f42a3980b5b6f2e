/// How a run spread over worker processes went: how many took part, how closely their clocks
/// started together, which were lost and when, and what merging their recordings cost. Present
/// only on results merged from workers.
public struct DistributionSummary: Codable, Sendable, Equatable {
    /// Workers the run was split over (its shares), lost ones included.
    public var workers: Int
    /// Each worker's clock start minus the agreed instant, milliseconds, by worker index (nil:
    /// the worker never reported it), on the coordinator's clock as each worker estimated it.
    public var startOffsetsMilliseconds: [Double?]
    /// The latest start minus the earliest, over the workers that reported theirs.
    public var startSkewMilliseconds: Double
    /// How far each worker's wall clock was from the coordinator's (worker minus coordinator),
    /// milliseconds, by worker index: what the start instant was corrected by.
    public var clockOffsetsMilliseconds: [Double?]
    /// The largest margin of those estimates (half the quickest round trip to the coordinator):
    /// the start skew is known to within this.
    public var clockUncertaintyMilliseconds: Double
    /// True when a worker was lost: the result holds only the other workers' requests.
    public var partial: Bool
    public var lost: [LostWorker]
    /// Per-second windows a worker sent again for a second it had already reported (ignored).
    public var repeatedWindowsIgnored: Int
    /// Time to decode and merge the workers' recordings into this result.
    public var mergeMilliseconds: Double

    public init(
        workers: Int, startOffsetsMilliseconds: [Double?], clockOffsetsMilliseconds: [Double?], clockUncertaintyMilliseconds: Double, partial: Bool,
        lost: [LostWorker], repeatedWindowsIgnored: Int, mergeMilliseconds: Double
    ) {
        self.workers = workers
        self.startOffsetsMilliseconds = startOffsetsMilliseconds
        let offsets = startOffsetsMilliseconds.compactMap { $0 }
        startSkewMilliseconds = (offsets.max() ?? 0) - (offsets.min() ?? 0)
        self.clockOffsetsMilliseconds = clockOffsetsMilliseconds
        self.clockUncertaintyMilliseconds = clockUncertaintyMilliseconds
        self.partial = partial
        self.lost = lost
        self.repeatedWindowsIgnored = repeatedWindowsIgnored
        self.mergeMilliseconds = mergeMilliseconds
    }
}

/// A worker that stopped answering (or never got ready) while a run went on without it.
public struct LostWorker: Codable, Sendable, Equatable {
    public var worker: Int
    /// Seconds from the run's start when it was given up (0 when that was before the start).
    public var atSecond: Double
    public var reason: String
    /// The last second it reported, as it reported it.
    public var lastWindow: SecondWindow?

    public init(worker: Int, atSecond: Double, reason: String, lastWindow: SecondWindow?) {
        self.worker = worker
        self.atSecond = atSecond
        self.reason = reason
        self.lastWindow = lastWindow
    }
}
