import Histogram

/// A worker's journeys: each finished one's duration (from when its first request was due to its
/// last answer), and the journeys that failed, by the step that failed them.
struct JourneyRecorder: Sendable {
    var durations = LatencyHistogram.latency()
    var completed = 0
    /// Failed journeys by step index.
    var failedAtStep: [Int]

    init(steps: Int) {
        failedAtStep = Array(repeating: 0, count: steps)
    }

    mutating func completed(micros: UInt64) {
        completed += 1
        durations.recordClamped(micros)
    }

    mutating func merge(_ other: JourneyRecorder) {
        durations.add(other.durations)
        completed += other.completed
        if failedAtStep.count < other.failedAtStep.count { failedAtStep += Array(repeating: 0, count: other.failedAtStep.count - failedAtStep.count) }
        for (index, count) in other.failedAtStep.enumerated() { failedAtStep[index] += count }
    }

    func summary(stepNames: [String]) -> JourneySummary {
        JourneySummary(
            completed: completed, failed: failedAtStep.reduce(0, +),
            failedAtStep: zip(stepNames, failedAtStep).filter { $0.1 > 0 }.map { JourneySummary.StepFailures(step: $0.0, journeys: $0.1) },
            duration: LatencySummary(durations), histogram: SparseHistogram(durations))
    }
}

extension JourneyRecorder: Codable {
    enum CodingKeys: String, CodingKey { case durations, completed, failedAtStep }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        durations = try container.decode(SparseHistogram.self, forKey: .durations).restored(into: .latency())
        completed = try container.decodeCount(forKey: .completed)
        failedAtStep = try container.decode([Int].self, forKey: .failedAtStep)
        guard failedAtStep.count <= Journey.mostSteps, failedAtStep.allSatisfy({ (0...largestRecordedCount).contains($0) }) else {
            throw DecodingError.dataCorruptedError(forKey: .failedAtStep, in: container, debugDescription: "failed journeys by step are counts of at most \(Journey.mostSteps) steps")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(SparseHistogram(durations), forKey: .durations)
        try container.encode(completed, forKey: .completed)
        try container.encode(failedAtStep, forKey: .failedAtStep)
    }
}

/// How a run's journeys went: how many finished and how long they took, from the first request's
/// due time to the last answer (think time included), and how many failed, at which step.
public struct JourneySummary: Codable, Sendable, Equatable {
    public var completed: Int
    public var failed: Int
    /// Failed journeys by the step that failed them, in the journey's order (steps that failed none left out).
    public var failedAtStep: [StepFailures]

    /// A list, not a dictionary: a report's keys are converted to snake case, and a step's name is the user's text.
    public struct StepFailures: Codable, Sendable, Equatable {
        public var step: String
        public var journeys: Int
    }
    public var duration: LatencySummary
    public var histogram: SparseHistogram

    enum CodingKeys: String, CodingKey {
        case completed, failed, failedAtStep, duration = "durationMs", histogram
    }
}
