/// What a run has done so far: for a refreshing status line, a live dashboard, a watch.
public struct LiveProgress: Sendable {
    public var elapsedSeconds: Double
    public var finishedRequests: Int
    public var failedRequests: Int
    /// The seconds that are over since the previous report, each merged over the workers, in
    /// order: exactly the windows the result will hold for those seconds.
    public var seconds: [SecondWindow]

    public init(elapsedSeconds: Double, finishedRequests: Int, failedRequests: Int, seconds: [SecondWindow]) {
        self.elapsedSeconds = elapsedSeconds
        self.finishedRequests = finishedRequests
        self.failedRequests = failedRequests
        self.seconds = seconds
    }

    /// Requests finished in the last second that is over.
    public var currentRate: Double { Double(seconds.last?.requests ?? 0) }

    /// 95th percentile of the last second that is over, in milliseconds (nil when nothing in it had a latency).
    public var lastSecondP95: Double? {
        guard let last = seconds.last, last.client.histogram.totalCount > 0 else { return nil }
        return last.client.histogram.milliseconds(atPercentile: 95)
    }
}
