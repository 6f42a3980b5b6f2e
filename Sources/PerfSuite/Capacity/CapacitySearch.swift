/// The search for the highest arrival rate that meets every objective, as a pure state machine:
/// it says which rate to hold next, is told whether that hold met the objectives, and ends with
/// an answer. No load, no clock in here, so tests walk every path.
///
/// 1. Grow: from `start`, multiply the rate by `growth` after every good hold, until a hold fails
///    (or `ceiling` is reached and held: the answer is then "at least the ceiling").
///    A failing first hold divides instead, down to `floor`.
/// 2. Bisect between the highest good and the lowest bad rate until they are within `resolution`
///    of each other (relative to the bad one).
/// 3. Confirm: hold the highest good rate again. A failed confirmation makes it bad, and the
///    search bisects again below it.
public struct CapacitySearch: Sendable, Equatable {
    public enum Phase: String, Codable, Sendable {
        case grow, bisect, confirm
    }

    /// What to do next.
    public enum Next: Sendable, Equatable {
        case hold(rate: Double, phase: Phase)
        /// The search is over: `rate` is the highest rate that met the objectives twice (nil: none did,
        /// down to the floor); `atCeiling` when it never failed up to the ceiling.
        case done(rate: Double?, atCeiling: Bool)
    }

    public let start: Double
    public let growth: Double
    public let resolution: Double
    public let ceiling: Double
    public let floor: Double

    private(set) var good: Double?
    private(set) var bad: Double?
    /// Good rates below the highest, for when a confirmation fails.
    private var goodBelow: [Double] = []
    private var phase = Phase.grow
    private var pending: Double
    private var confirmed = false

    /// The lowest rate a search tries by default, requests per second.
    public static let defaultFloor = 0.5

    public init(start: Double, growth: Double = 2, resolution: Double = 0.05, ceiling: Double = 1_000_000, floor: Double = defaultFloor) {
        self.start = start
        self.growth = max(growth, 1.01)
        self.resolution = max(resolution, 0.001)
        self.ceiling = ceiling
        self.floor = floor
        pending = min(start, ceiling)
    }

    /// True when the highest good rate is the ceiling (nothing above it was tried).
    public private(set) var ceilingReached = false

    /// The hold to run next, or the answer.
    public var next: Next {
        if confirmed { return .done(rate: good, atCeiling: ceilingReached) }
        if let good, let bad, (bad - good) / bad <= resolution {
            return .hold(rate: good, phase: .confirm)
        }
        if pending < floor { return .done(rate: nil, atCeiling: false) }
        return .hold(rate: pending, phase: phase)
    }

    /// The outcome of the hold `next` asked for.
    public mutating func record(good met: Bool) {
        guard case .hold(let rate, let asked) = next else { return }
        switch (asked, met) {
        case (.confirm, true):
            confirmed = true
        case (.confirm, false):
            // The rate did not hold twice: it is bad, and the search goes on below it.
            ceilingReached = false
            bad = rate
            good = goodBelow.popLast()
            pending = good.map { ($0 + rate) / 2 } ?? rate / growth
            phase = good == nil ? .grow : .bisect
        case (_, true):
            if let good { goodBelow.append(good) }
            good = rate
            if let bad {
                pending = (rate + bad) / 2
                phase = .bisect
            } else if rate >= ceiling {
                // Nothing above the ceiling is tried: a bound just above it leads to the confirmation.
                ceilingReached = true
                bad = rate * (1 + resolution / 2)
            } else {
                pending = min(rate * growth, ceiling)
            }
        case (_, false):
            bad = rate
            if let good {
                pending = (good + rate) / 2
                phase = .bisect
            } else {
                pending = rate / growth
            }
        }
    }
}
