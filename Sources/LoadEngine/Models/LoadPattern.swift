import Foundation
import Observability

/// Built-in shapes that become a ramp's stages (users or requests per second over time): steps
/// that climb level by level, and a sine around a base. Each is its stages' arithmetic alone; the
/// ramp (`UserRamp`, `RateRamp`) runs them like any stages a user writes.
public enum LoadPattern {
    /// A stage: how long, and the value reached at its end (linearly from the one before).
    public typealias Stage = (duration: Duration, target: Double)

    /// Pauses between levels are jumps: a ramp's stages must last, so a jump is a stage this short.
    public static let jump = Duration.milliseconds(1)

    /// `count` levels evenly spaced from `from` to `to`, each held for `each` (the first from the
    /// start, each later one after a jump to it). Starts at `from`.
    public static func steps(from: Double, to: Double, count: Int, each: Duration) -> [Stage] {
        guard count >= 1, each > jump else { return [] }
        var stages: [Stage] = [(each, from)]
        for index in 1..<max(count, 1) {
            let level = from + (to - from) * Double(index) / Double(count - 1)
            stages.append((jump, level))
            stages.append((each - jump, level))
        }
        return stages
    }

    /// `base + amplitude · sin(2πt / period)` for `duration`, as `segmentsPerPeriod` straight
    /// stages per period (a chord of the curve each). Starts at `base`.
    public static func sine(base: Double, amplitude: Double, period: Duration, duration: Duration, segmentsPerPeriod: Int = 24) -> [Stage] {
        let periodSeconds = period.seconds, total = duration.seconds
        guard periodSeconds > 0, total > 0, segmentsPerPeriod >= 4 else { return [] }
        let step = periodSeconds / Double(segmentsPerPeriod)
        var stages: [Stage] = []
        var time = 0.0
        while time < total - 1e-9 {
            let next = min(time + step, total)
            // From rounded instants, so that the stages add up to the duration exactly.
            let nanoseconds = Int64((next * 1e9).rounded()) - Int64((time * 1e9).rounded())
            stages.append((.nanoseconds(nanoseconds), base + amplitude * sin(2 * .pi * next / periodSeconds)))
            time = next
        }
        return stages
    }
}

