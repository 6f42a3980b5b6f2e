import NIOCore
import Synchronization

/// What the workers share while a run goes: the two phase barriers (every connection tried, every
/// user finished), the stop switch, and the live counters progress reads.
final class RunCoordinator: Sendable {
    private struct State {
        var connectsReported = 0
        var connectsSucceeded = 0
        var firstConnectError: String?
        var usersFinished = 0
        var stopped = false
        var abortReason: String?
    }

    let users: Int
    private let state = Mutex(State())
    private let connected: EventLoopPromise<Void>
    private let finished: EventLoopPromise<Void>
    /// Requests finished so far, and how many of them failed: for the live status line.
    let finishedRequests = Atomic<Int>(0)
    let failedRequests = Atomic<Int>(0)
    private let target: String

    init(users: Int, target: String, eventLoop: any EventLoop) {
        self.users = users
        self.target = target
        connected = eventLoop.makePromise()
        finished = eventLoop.makePromise()
    }

    var allConnected: EventLoopFuture<Void> { connected.futureResult }
    var allFinished: EventLoopFuture<Void> { finished.futureResult }

    var isStopped: Bool { state.withLock { $0.stopped } }
    /// Why the run's watch stopped it early, if it did.
    var abortReason: String? { state.withLock { $0.abortReason } }

    /// A user's first connection attempt ended; once all have, the run starts, unless none connected.
    func reportInitialConnect(error: (any Error)?) {
        let outcome: Result<Void, any Error>? = state.withLock { state in
            state.connectsReported += 1
            if let error {
                if state.firstConnectError == nil { state.firstConnectError = TransportFailure.connectReason(error) }
            } else {
                state.connectsSucceeded += 1
            }
            guard state.connectsReported == users else { return nil }
            if state.connectsSucceeded > 0 { return .success(()) }
            return .failure(LoadEngineError.unreachable(target: target, reason: state.firstConnectError ?? "unknown error"))
        }
        if let outcome {
            connected.completeWith(outcome)
            // Nobody will wait for the users to finish a run that never started.
            if case .failure(let error) = outcome { finished.fail(error) }
        }
    }

    func userFinished() {
        let done = state.withLock { state -> Bool in
            state.usersFinished += 1
            return state.usersFinished == users
        }
        if done { finished.succeed(()) }
    }

    /// Asks every user to stop now (Ctrl-C, or the run was cancelled).
    func stop() {
        state.withLock { $0.stopped = true }
    }

    /// Stops the run because its watch said so (an objective broken): not an interruption.
    func abort(_ reason: String) {
        state.withLock { state in
            state.stopped = true
            if state.abortReason == nil { state.abortReason = reason }
        }
    }

    func countFinished(failed: Bool) {
        finishedRequests.add(1, ordering: .relaxed)
        if failed { failedRequests.add(1, ordering: .relaxed) }
    }
}
