import NIOCore
import NIOPosix
import Observability

/// The users on one event loop, their request templates and their recorder. Everything here is
/// touched only from that loop (`@unchecked Sendable` so the run can hand work to it by `execute`).
final class Worker: @unchecked Sendable {
    /// When users send, derived once from the load model.
    enum Schedule {
        /// Closed model, a fixed number of requests per user.
        case requests
        /// Closed model until `end` (absolute nanoseconds), optionally following a user ramp.
        case until(end: UInt64, think: UInt64, ramp: UserRamp?)
        /// Open model: `totalDue` requests paced by `pacer`, none sent after `end`.
        case open(pacer: any Pacer, totalDue: Int, end: UInt64)
    }

    let eventLoop: any EventLoop
    let coordinator: RunCoordinator
    let address: SocketAddress
    let connectTimeout: TimeAmount
    let sequence: [Int]
    var templates: [[RequestTemplate]]
    var recorder: WorkerRecorder
    private(set) var schedule = Schedule.requests
    let model: LoadModel
    /// Closed model with a request count: how many requests user `index` sends.
    let requestsForUser: @Sendable (Int) -> Int
    let connectionCount: Int
    let timeoutNanos: UInt64
    let thinkNanos: UInt64
    var isOpenModel: Bool { model.isOpen }
    private(set) var startNanos: UInt64 = 0
    private(set) var stopping = false
    private var users: [VirtualUser] = []
    private var sweeper: RepeatedTask?

    init(eventLoop: any EventLoop, plan: LoadPlan, address: SocketAddress, coordinator: RunCoordinator) throws {
        self.eventLoop = eventLoop
        self.coordinator = coordinator
        self.address = address
        self.connectTimeout = .nanoseconds(Int64(plan.connectTimeout.nanoseconds))
        self.sequence = plan.endpointSequence
        self.model = plan.model
        self.connectionCount = plan.model.connections
        self.timeoutNanos = plan.requestTimeout.nanoseconds
        switch plan.model {
        case .closedRequests(let users, let total):
            requestsForUser = { index in total / users + (index < total % users ? 1 : 0) }
        default:
            requestsForUser = { _ in Int.max }
        }
        switch plan.model {
        case .closedDuration(_, _, let think), .rampingUsers(_, let think): thinkNanos = think.nanoseconds
        default: thinkNanos = 0
        }
        templates = try plan.endpoints.enumerated().map { index, endpoint in
            try endpoint.paths.map { try RequestTemplate(endpoint: index, endpoint, path: $0, target: plan.target, runTag: plan.runTag) }
        }
        recorder = WorkerRecorder(endpointCount: plan.endpoints.count, exemplars: plan.exemplars)
    }

    /// A bootstrap whose connection reports to `user`, tagged with the user's connection `generation`.
    func makeBootstrap(user: VirtualUser, generation: Int) -> ClientBootstrap {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(user: user, generation: generation))
                }
            }
    }

    /// Makes the users with these run-wide indices and opens their first connections.
    func connectUsers(_ indices: [Int]) {
        users = indices.map { VirtualUser(index: $0, worker: self) }
        for user in users { user.connectInitially() }
    }

    /// Starts the clock-driven part: every user sends as its model says, and the sweeper watches timeouts.
    func begin(startNanos: UInt64) {
        self.startNanos = startNanos
        let duration = model.plannedDuration?.nanoseconds ?? 0
        let end = startNanos &+ duration
        switch model {
        case .closedRequests:
            schedule = .requests
        case .closedDuration(_, _, let think):
            schedule = .until(end: end, think: think.nanoseconds, ramp: nil)
        case .rampingUsers(let ramp, let think):
            schedule = .until(end: end, think: think.nanoseconds, ramp: ramp)
        case .constantRate, .rampingRate:
            let pacer = model.pacer!
            schedule = .open(pacer: pacer, totalDue: pacer.requestsDue(by: model.plannedDuration!.seconds), end: end)
        }
        let interval = TimeAmount.milliseconds(Int64(min(50, max(1, timeoutNanos / 1_000_000 / 10))))
        sweeper = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let now = MonotonicClock.nanoseconds()
            for user in self.users where user.waiting { user.checkTimeout(now: now) }
        }
        if users.isEmpty { return }
        for user in users { user.proceed() }
    }

    @inline(__always)
    func record(_ sample: Sample) {
        recorder.record(sample)
        coordinator.countFinished(failed: sample.error != nil)
    }

    func userFinished() {
        coordinator.userFinished()
    }

    /// Ends every user now; requests in flight are dropped, not counted.
    func stopAll() {
        stopping = true
        for user in users { user.finish() }
    }

    /// Stops the sweeper and hands over the recordings, with the last second closed.
    func collect() -> WorkerRecorder {
        sweeper?.cancel()
        sweeper = nil
        recorder.seconds.closeAll()
        users.removeAll()  // each user holds its worker; the run is over
        return recorder
    }

    /// The last complete second this worker saw, for live progress.
    var lastSecond: SecondWindow? { recorder.seconds.lastClosed }
}
