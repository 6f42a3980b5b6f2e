/// What a run has done so far, for a refreshing status line.
public struct LiveProgress: Sendable {
    public var elapsedSeconds: Double
    public var finishedRequests: Int
    public var failedRequests: Int
    /// Requests finished in the last second.
    public var currentRate: Double
    /// 95th percentile of the last complete second, in milliseconds (nil before the first).
    public var lastSecondP95: Double?
}
