import Histogram
@testable import LoadEngine
import NIOCore
import Observability
import Testing

@Suite("Recording")
struct RecordingTests {
    func sample(_ micros: UInt64, status: Int = 200, error: ErrorKind? = nil, at second: UInt64 = 0, timing: ServerTiming? = nil) -> Sample {
        Sample(endpoint: 0, status: status, error: error, correctedMicros: micros, uncorrectedMicros: micros, serverTiming: timing,
               requestNumber: micros, finishedAt: second * 1_000_000_000)
    }

    @Test("workers' histograms merge exactly: the merged percentiles equal one recorder's over all samples")
    func mergeIsExact() {
        var single = WorkerRecorder(endpointCount: 1, exemplars: 5)
        var first = WorkerRecorder(endpointCount: 1, exemplars: 5)
        var second = WorkerRecorder(endpointCount: 1, exemplars: 5)
        for value in 1...10_000 {
            let s = sample(UInt64(value * 37 % 100_000 + 1))
            single.record(s)
            if value % 2 == 0 { first.record(s) } else { second.record(s) }
        }
        first.merge(second)
        #expect(first.finished == single.finished)
        for percentile in [50.0, 90, 99, 99.9, 100] {
            #expect(first.corrected.valueAtPercentile(percentile) == single.corrected.valueAtPercentile(percentile))
        }
        #expect(first.slowest.kept.map(\.correctedMicros).sorted() == single.slowest.kept.map(\.correctedMicros).sorted())
    }

    @Test("the slowest requests are kept, slowest first, with their request IDs")
    func exemplars() {
        var slowest = SlowestRequests(capacity: 3)
        for value in [5, 1, 9, 3, 7, 2, 8] { slowest.offer(sample(UInt64(value))) }
        let exemplars = slowest.exemplars(runTag: "abcdefgh", endpointNames: ["GET /x"], traceContext: false)
        #expect(exemplars.map(\.latencyMilliseconds) == [0.009, 0.008, 0.007])
        #expect(exemplars[0].requestID == "abcdefgh-0000000000000009")
    }

    @Test("per-second windows close into compact histograms and keep each second's count")
    func secondWindows() {
        var windows = SecondWindows()
        for second in 0..<3 { for value in 1...100 { windows.record(sample(UInt64(value * 100), at: UInt64(second))) } }
        windows.record(sample(0, status: 0, error: .read, at: 5))
        windows.closeAll()
        #expect(windows.closed.map(\.second) == [0, 1, 2, 5])
        #expect(windows.closed.map(\.requests) == [100, 100, 100, 1])
        #expect(windows.closed[3].errors == 1)
        #expect(windows.closed[0].client.totalCount == 100)
        #expect(windows.closed[0].client.bucketCount <= 100)
    }

    @Test("a sparse histogram gives back the same percentiles")
    func sparseRoundTrip() {
        var histogram = LatencyHistogram.latency()
        for value in stride(from: 1, to: 2_000_000, by: 997) { histogram.recordClamped(UInt64(value)) }
        let sparse = SparseHistogram(histogram)
        let restored = sparse.histogram
        #expect(restored.totalCount == histogram.totalCount)
        for percentile in [1.0, 50, 99, 99.99] {
            #expect(histogram.valuesAreEquivalent(restored.valueAtPercentile(percentile), histogram.valueAtPercentile(percentile)))
        }
    }

    @Test("server timings go into the endpoint's app, db, pool and remainder histograms")
    func serverSide() {
        var recorder = EndpointRecorder()
        recorder.record(sample(5000, timing: ServerTiming(appMilliseconds: 3, databaseMilliseconds: 2, poolMilliseconds: 0.5, queryCount: 2)))
        recorder.record(sample(4000))
        #expect(recorder.requests == 2)
        #expect(recorder.withServerTiming == 1)
        #expect(recorder.client.totalCount == 2)
        #expect(recorder.app.totalCount == 1)
        #expect(recorder.remainder.valueAtPercentile(100) == recorder.remainder.highestEquivalentForValue(2000))
        #expect(recorder.queries.mean - 1 == 2)
    }

    @Test("error kinds are counted apart, and status codes map to 4xx and 5xx")
    func errorKinds() {
        var recorder = WorkerRecorder(endpointCount: 1, exemplars: 0)
        recorder.record(sample(10, status: 404, error: .http4xx))
        recorder.record(sample(10, status: 503, error: .http5xx))
        recorder.record(sample(0, status: 0, error: .connect))
        #expect(recorder.errors.byName["http_4xx"] == 1 && recorder.errors.byName["http_5xx"] == 1 && recorder.errors.byName["connect"] == 1)
        #expect(recorder.errors.transport == 1)
        #expect(ErrorKind.forStatus(302) == nil)
        #expect(recorder.corrected.totalCount == 2, "a failed connection has no latency to record")
    }
}
