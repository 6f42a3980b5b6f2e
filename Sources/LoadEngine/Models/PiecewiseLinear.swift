/// A value that moves linearly from stage to stage, walked once into segments: the one walk over a
/// ramp's stages that its value, its integral and the inverse of its integral all use.
struct PiecewiseLinear: Sendable, Equatable {
    /// One stage: from `start` to `end` seconds, the value goes from `from` to `to`; `before` is
    /// the integral up to `start`.
    struct Segment: Sendable, Equatable {
        var start: Double
        var end: Double
        var from: Double
        var to: Double
        var before: Double

        var slope: Double { end > start ? (to - from) / (end - start) : 0 }
        var area: Double { (from + to) / 2 * (end - start) }
    }

    let segments: [Segment]
    /// The value from the last stage's end on.
    let last: Double

    /// `stages` of (seconds, value reached at its end), starting from `initial`.
    init(initial: Double, stages: [(seconds: Double, target: Double)]) {
        var segments: [Segment] = []
        var time = 0.0, value = initial, integral = 0.0
        for stage in stages {
            let segment = Segment(start: time, end: time + stage.seconds, from: value, to: stage.target, before: integral)
            segments.append(segment)
            integral += segment.area
            time = segment.end
            value = stage.target
        }
        self.segments = segments
        last = value
    }

    var duration: Double { segments.last?.end ?? 0 }
    var total: Double { segments.last.map { $0.before + $0.area } ?? 0 }

    /// The segment that holds `time` (the last one at or after the end), by binary search.
    private func segment(at time: Double) -> Segment? {
        guard !segments.isEmpty else { return nil }
        var low = 0, high = segments.count - 1
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].end <= time { low = middle + 1 } else { high = middle }
        }
        return segments[low]
    }

    /// The value at `time` seconds.
    func value(at time: Double) -> Double {
        guard let segment = segment(at: time), time < segment.end else { return last }
        return segment.from + segment.slope * (max(time, segment.start) - segment.start)
    }

    /// The integral of the value from 0 to `time`.
    func integral(at time: Double) -> Double {
        guard let segment = segment(at: time) else { return 0 }
        let within = min(max(time - segment.start, 0), segment.end - segment.start)
        return segment.before + segment.from * within + segment.slope * within * within / 2
    }

    /// The first time at which the integral reaches `wanted`, or nil when it never does before the end.
    func time(whereIntegralReaches wanted: Double) -> Double? {
        guard wanted <= total + 1e-9 else { return nil }
        // The last segment whose start the integral has reached (a binary search over `before`).
        var low = 0, high = segments.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if segments[middle].before < wanted { low = middle } else { high = middle - 1 }
        }
        let segment = segments[low]
        let need = wanted - segment.before
        let length = segment.end - segment.start
        let offset: Double
        if abs(segment.slope) < 1e-12 {
            offset = segment.from > 0 ? need / segment.from : length
        } else {
            // from·t + slope·t²/2 = need, for the root in the segment.
            let discriminant = max(segment.from * segment.from + 2 * segment.slope * need, 0)
            offset = (-segment.from + discriminant.squareRoot()) / segment.slope
        }
        return segment.start + min(max(offset, 0), length)
    }
}
