import Histogram

/// A worker's recordings: touched only from its event loop while the run goes, merged with the
/// other workers' exactly (histograms add bucket by bucket) once it is over.
///
/// Run-wide latency and error counts are not recorded twice: they are the endpoints' own, added up
/// when the run is over (`corrected`, `uncorrected`, `errors`).
struct WorkerRecorder: Sendable {
    var endpoints: [EndpointRecorder]
    /// Latency by status class (see `StatusClass`), made on first use.
    var statusClasses = [LatencyHistogram?](repeating: nil, count: 6)
    var seconds = SecondWindows()
    var slowest: SlowestRequests
    /// Requests finished (answered, failed or timed out).
    var finished = 0
    /// Open model: how late each send was (waiting for its connection's previous answer included):
    /// the late sends and the worst delay are read from it.
    var lateness = LatencyHistogram.latency()
    /// Open model: how late the sends were that the engine's own timers woke: its own delay, with
    /// the target out of it.
    var timerLateness = LatencyHistogram.latency()
    /// CPU time each worker thread used during the run (one entry per worker, after merging).
    var threadCPUNanos: [UInt64] = []
    /// Open model: requests due before the end that were never sent (the schedule fell behind).
    var unsent = 0
    /// Timed runs: requests still in flight when the planned end and its grace were over.
    var cutOffAtEnd = 0
    /// What happened to the connections themselves.
    var connections = ConnectionStats()
    /// Responses whose `Server-Timing` could not be believed (their server figures are left out).
    var rejectedServerTimings = 0
    /// HTTPS: each connection's TLS handshake, from the TCP connection to the handshake's end.
    var handshakes = LatencyHistogram.latency()
    /// HTTPS: handshakes that failed, by reason.
    var tlsFailures: [String: Int] = [:]
    /// Refusals (429) and rate-limit headers.
    var rateLimit = RateLimitSummary()
    /// A run of a journey: its journeys' durations and failures.
    var journeys: JourneyRecorder?

    init(endpointCount: Int, exemplars: Int, journey: Bool = false) {
        endpoints = Array(repeating: EndpointRecorder(), count: endpointCount)
        slowest = SlowestRequests(capacity: exemplars)
        journeys = journey ? JourneyRecorder(steps: endpointCount) : nil
    }

    mutating func record(_ sample: Sample) {
        finished += 1
        if sample.serverTimingRejected { rejectedServerTimings += 1 }
        endpoints[sample.endpoint].record(sample)
        seconds.record(sample)
        if sample.rateLimit != nil || sample.status == 429 || sample.afterRetryWait { rateLimit.record(sample) }
        guard sample.status > 0 || sample.error == .timeout else { return }
        if sample.status > 0 {
            let statusClass = StatusClass.index(of: sample.status)
            if statusClasses[statusClass] == nil { statusClasses[statusClass] = .latency() }
            statusClasses[statusClass]!.recordClamped(sample.correctedMicros)
        }
        slowest.offer(sample)
    }

    /// `woken`: the send followed the engine's own timer, not an answer on its connection.
    mutating func recordLateness(micros: UInt64, woken: Bool) {
        lateness.recordClamped(micros)
        if woken { timerLateness.recordClamped(micros) }
    }

    mutating func merge(_ other: WorkerRecorder) {
        for index in endpoints.indices { endpoints[index].merge(other.endpoints[index]) }
        for (statusClass, histogram) in other.statusClasses.enumerated() {
            guard let histogram else { continue }
            if statusClasses[statusClass] == nil { statusClasses[statusClass] = .latency() }
            statusClasses[statusClass]!.add(histogram)
        }
        slowest.merge(other.slowest)
        finished += other.finished
        lateness.add(other.lateness)
        timerLateness.add(other.timerLateness)
        threadCPUNanos += other.threadCPUNanos
        unsent += other.unsent
        connections.merge(other.connections)
        cutOffAtEnd += other.cutOffAtEnd
        rejectedServerTimings += other.rejectedServerTimings
        handshakes.add(other.handshakes)
        tlsFailures.merge(other.tlsFailures, uniquingKeysWith: +)
        rateLimit.merge(other.rateLimit)
        if let theirs = other.journeys {
            if journeys == nil { journeys = JourneyRecorder(steps: theirs.failedAtStep.count) }
            journeys!.merge(theirs)
        }
    }

    /// Client latency from each request's due time, over every endpoint.
    var corrected: LatencyHistogram { endpoints.dropFirst().reduce(into: endpoints[0].client) { $0.add($1.client) } }

    /// Client latency from each request's send, over every endpoint.
    var uncorrected: LatencyHistogram { endpoints.dropFirst().reduce(into: endpoints[0].uncorrected) { $0.add($1.uncorrected) } }

    /// Open model: sends more than a millisecond after they were due.
    var lateSends: Int { lateness.totalCount == 0 ? 0 : Int(lateness.count(within: 1001...lateness.highestTrackableValue)) }

    /// Errors by kind, over every endpoint.
    var errors: ErrorCounts { endpoints.reduce(into: ErrorCounts()) { $0.merge($1.errors) } }
}
