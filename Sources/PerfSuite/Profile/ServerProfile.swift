/// An on-CPU profile of the server process over one scenario: its stacks folded (root first,
/// frames joined by `;`, Swift names demangled) with their sample counts, and the frames that took
/// the most samples by themselves (self) and with what they called (total).
public struct ServerProfile: Codable, Sendable, Equatable {
    public struct Stack: Codable, Sendable, Equatable {
        public var frames: String
        public var samples: Int
    }

    public struct Frame: Codable, Sendable, Equatable {
        public var name: String
        public var samples: Int
        public var percent: Double
    }

    /// Samples taken (at `frequencyHz` per busy thread).
    public var samples: Int
    public var frequencyHz: Int
    /// The folded stacks, most samples first; stacks under 0.05% of the samples are left out.
    public var stacks: [Stack]
    public var topSelf: [Frame]
    public var topTotal: [Frame]

    /// Kept stacks: at least this share of the samples.
    static let keptShare = 0.0005
    static let topFrames = 15

    /// A profile from folded stacks (root first, `;`-joined) and their counts.
    public init(folded: [String: Int], frequencyHz: Int) {
        let total = folded.values.reduce(0, +)
        samples = total
        self.frequencyHz = frequencyHz
        let minimum = max(1, Int((Double(total) * Self.keptShare).rounded(.up)))
        stacks = folded.filter { $0.value >= minimum }.map { Stack(frames: $0.key, samples: $0.value) }
            .sorted { $0.samples != $1.samples ? $0.samples > $1.samples : $0.frames < $1.frames }
        var selfCounts: [String: Int] = [:], totalCounts: [String: Int] = [:]
        for (stack, count) in folded {
            let frames = stack.split(separator: ";").map(String.init)
            if let leaf = frames.last { selfCounts[leaf, default: 0] += count }
            for frame in Set(frames) { totalCounts[frame, default: 0] += count }
        }
        func top(_ counts: [String: Int]) -> [Frame] {
            counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(Self.topFrames).map {
                Frame(name: $0.key, samples: $0.value, percent: total == 0 ? 0 : Double($0.value) * 100 / Double(total))
            }
        }
        topSelf = top(selfCounts)
        topTotal = top(totalCounts)
    }
}
