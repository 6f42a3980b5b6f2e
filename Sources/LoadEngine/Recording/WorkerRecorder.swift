import Histogram

/// A worker's recordings: touched only from its event loop while the run goes, merged with the
/// other workers' exactly (histograms add bucket by bucket) once it is over.
struct WorkerRecorder: Sendable {
    var corrected = LatencyHistogram.latency()
    var uncorrected = LatencyHistogram.latency()
    var endpoints: [EndpointRecorder]
    /// Latency by status class (see `StatusClass`), made on first use.
    var statusClasses = [LatencyHistogram?](repeating: nil, count: 6)
    var errors = ErrorCounts()
    var seconds = SecondWindows()
    var slowest: SlowestRequests
    /// Requests finished (answered, failed or timed out).
    var finished = 0
    /// Open model: requests sent more than a millisecond after they were due, and the worst delay.
    var late = 0
    var worstLatenessMicros: UInt64 = 0
    /// Open model: requests due before the end that were never sent (the schedule fell behind).
    var unsent = 0
    /// Timed runs: requests still in flight when the planned end and its grace were over.
    var cutOffAtEnd = 0
    /// What happened to the connections themselves.
    var connections = ConnectionStats()
    /// Responses whose `Server-Timing` could not be believed (their server figures are left out).
    var rejectedServerTimings = 0

    init(endpointCount: Int, exemplars: Int) {
        endpoints = Array(repeating: EndpointRecorder(), count: endpointCount)
        slowest = SlowestRequests(capacity: exemplars)
    }

    mutating func record(_ sample: Sample) {
        finished += 1
        if sample.serverTimingRejected { rejectedServerTimings += 1 }
        if let error = sample.error { errors.add(error) }
        endpoints[sample.endpoint].record(sample)
        seconds.record(sample)
        guard sample.status > 0 || sample.error == .timeout else { return }
        corrected.recordClamped(sample.correctedMicros)
        uncorrected.recordClamped(sample.uncorrectedMicros)
        if sample.status > 0 {
            let statusClass = StatusClass.index(of: sample.status)
            if statusClasses[statusClass] == nil { statusClasses[statusClass] = .latency() }
            statusClasses[statusClass]!.recordClamped(sample.correctedMicros)
        }
        slowest.offer(sample)
    }

    mutating func recordLateness(micros: UInt64) {
        if micros > 1000 { late += 1 }
        worstLatenessMicros = max(worstLatenessMicros, micros)
    }

    mutating func merge(_ other: WorkerRecorder) {
        corrected.add(other.corrected)
        uncorrected.add(other.uncorrected)
        for index in endpoints.indices { endpoints[index].merge(other.endpoints[index]) }
        for (statusClass, histogram) in other.statusClasses.enumerated() {
            guard let histogram else { continue }
            if statusClasses[statusClass] == nil { statusClasses[statusClass] = .latency() }
            statusClasses[statusClass]!.add(histogram)
        }
        errors.merge(other.errors)
        slowest.merge(other.slowest)
        finished += other.finished
        late += other.late
        worstLatenessMicros = max(worstLatenessMicros, other.worstLatenessMicros)
        unsent += other.unsent
        connections.merge(other.connections)
        cutOffAtEnd += other.cutOffAtEnd
        rejectedServerTimings += other.rejectedServerTimings
    }
}
