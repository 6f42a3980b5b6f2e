import Observability
import Synchronization

/// What one request spent where: filled in by the database layer as queries run, read by the
/// observability middleware to write `Server-Timing` and the metrics.
///
/// A request's handler may run queries from child tasks, so the counters sit behind a lock
/// (uncontended, it costs tens of nanoseconds).
public final class RequestTimings: Sendable {
    private struct Counters {
        var databaseNanoseconds: UInt64 = 0
        var poolNanoseconds: UInt64 = 0
        var queryCount = 0
    }

    private let counters = Mutex(Counters())

    public init() {}

    /// Adds one query's time.
    public func recordQuery(nanoseconds: UInt64) {
        counters.withLock {
            $0.databaseNanoseconds &+= nanoseconds
            $0.queryCount += 1
        }
    }

    /// Adds time spent waiting for a pooled connection.
    public func recordPoolWait(nanoseconds: UInt64) {
        counters.withLock { $0.poolNanoseconds &+= nanoseconds }
    }

    /// The `Server-Timing` value for a handler that took `appNanoseconds` in all.
    public func serverTiming(appNanoseconds: UInt64) -> ServerTiming {
        counters.withLock {
            ServerTiming(
                appMilliseconds: Double(appNanoseconds) / 1_000_000,
                databaseMilliseconds: Double($0.databaseNanoseconds) / 1_000_000,
                poolMilliseconds: Double($0.poolNanoseconds) / 1_000_000,
                queryCount: $0.queryCount)
        }
    }
}
