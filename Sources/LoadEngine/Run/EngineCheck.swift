/// Whether the load engine kept up with its own plan: what it was asked to send and what it sent,
/// how late its sends were, and how busy its threads were. A result measured by an engine that was
/// itself the limit says more about the engine than about the target, and says so.
public struct EngineCheck: Codable, Sendable, Equatable {
    /// Open model: the rate the schedule asked for (requests due over the planned duration).
    public var intendedRate: Double?
    /// Requests finished per second.
    public var achievedRate: Double
    /// Open model: how late each send was after its due time, waiting for its connection's
    /// previous answer included (the target's share).
    public var sendLateness: LatencySummary?
    /// Open model: how late the sends were that the engine's own timers woke (the engine's share).
    public var timerLateness: LatencySummary?
    /// Each engine thread's CPU use over the run, as a percentage of one core.
    public var threadCPUPercent: [Double]
    /// True when the engine, not the target, was the limit (see `warnings`).
    public var saturated: Bool
    /// What went wrong, in words: the engine's saturation, or a target that did not keep up.
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case intendedRate = "intendedRPS", achievedRate = "achievedRPS", sendLateness = "sendLatenessMs"
        case timerLateness = "timerLatenessMs", threadCPUPercent, saturated, warnings
    }

    /// An engine thread busier than this share of a core had no room left to send on time.
    public static let busyThreadPercent = 90.0
    /// Timers that fire this late (p99, in milliseconds) mean the engine's loop, or the machine, is overloaded.
    public static let lateTimerMilliseconds = 10.0
    /// An open run that finished less than this share of its intended rate did not get the load it asked for.
    public static let keptUpShare = 0.95

    public var busiestThreadPercent: Double { threadCPUPercent.max() ?? 0 }

    init(
        intendedRate: Double?, achievedRate: Double, sendLateness: LatencySummary?, timerLateness: LatencySummary?,
        threadCPUPercent: [Double], connections: Int
    ) {
        self.intendedRate = intendedRate
        self.achievedRate = achievedRate
        self.sendLateness = sendLateness
        self.timerLateness = timerLateness
        self.threadCPUPercent = threadCPUPercent
        var warnings: [String] = []
        let busiest = threadCPUPercent.max() ?? 0
        if busiest >= Self.busyThreadPercent {
            warnings.append("the load engine was the limit: its busiest thread used \(Self.format(busiest))% of a core")
        }
        if let timerLateness, timerLateness.p99 >= Self.lateTimerMilliseconds {
            warnings.append(
                "the load engine sent late on its own (p99 \(Self.format(timerLateness.p99)) ms after the due time): it, or this machine, was overloaded")
        }
        saturated = !warnings.isEmpty
        if let intendedRate, achievedRate < Self.keptUpShare * intendedRate, !saturated {
            warnings.append(
                "the target did not keep up: \(Self.format(achievedRate)) of \(Self.format(intendedRate)) requests/s finished "
                    + "(requests waited for one of the \(connections) connections; p99 \(Self.format(sendLateness?.p99 ?? 0)) ms late)")
        }
        self.warnings = warnings
    }

    private static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)
    }
}
