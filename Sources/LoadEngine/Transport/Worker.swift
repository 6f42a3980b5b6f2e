import NIOCore
import NIOPosix
import Observability

/// The users on one event loop, their request templates and their recorder. Everything here is
/// touched only from that loop: the run holds it as a `NIOLoopBound`, so the compiler and NIO's
/// checks keep it there.
final class Worker {
    /// When users send, derived once from the load model.
    enum Schedule {
        /// Closed model, a fixed number of requests per user.
        case requests
        /// Closed model until `end` (absolute nanoseconds), optionally following a user ramp.
        case until(end: UInt64, ramp: UserRamp?)
        /// Open model: `totalDue` requests paced by `pacer`, none sent after `end`.
        case open(pacer: any Pacer, totalDue: Int, end: UInt64)
    }

    let eventLoop: any EventLoop
    let coordinator: RunCoordinator
    let address: SocketAddress
    /// HTTPS: the run's TLS, shared by every connection; nil for plain HTTP.
    let tls: TLSClient?
    #if os(Linux)
    /// Plain HTTP/1.1 on the engine's own loop: the loop whose sockets the users connect with.
    let socketLoop: SocketEventLoop?
    #endif
    /// HTTP/2: how many of this worker's users share a connection; nil for HTTP/1.1.
    let http2Streams: Int?
    private var http2Connections: [HTTP2Connection] = []
    let connectTimeout: TimeAmount
    let sequence: [Int]
    var templates: [[RequestTemplate]]
    var recorder: WorkerRecorder
    private(set) var schedule = Schedule.requests
    let model: LoadModel
    let connectionCount: Int
    let timeoutNanos: UInt64
    let thinkNanos: UInt64
    let graceNanos: UInt64
    let isOpenModel: Bool
    /// The longest `Retry-After` its users wait out, nanoseconds; nil when they ignore it.
    let retryWaitNanos: UInt64?
    /// The journey every user repeats, compiled; nil when users send the endpoints in turn.
    let journey: CompiledJourney?
    /// Seeds the users' random draws (think times, `${uuid}`, lists): the run's, so that runs differ.
    let randomSeed: UInt64
    private(set) var startNanos: UInt64 = 0
    /// This loop's thread's CPU time when the clock started.
    private var cpuAtBegin: UInt64 = 0
    private(set) var stopping = false
    private var users: [VirtualUser] = []
    private var sweeper: Scheduled<Void>?
    private var cutOff: Scheduled<Void>?

    init(eventLoop: any EventLoop, plan: LoadPlan, address: SocketAddress, tls: TLSClient?, coordinator: RunCoordinator) throws {
        self.eventLoop = eventLoop
        self.coordinator = coordinator
        self.address = address
        self.tls = tls
        #if os(Linux)
        self.socketLoop = eventLoop as? SocketEventLoop
        #endif
        self.http2Streams = plan.http2Streams
        self.connectTimeout = .nanoseconds(Int64(plan.connectTimeout.nanoseconds))
        self.sequence = plan.endpointSequence
        self.model = plan.model
        self.isOpenModel = plan.model.isOpen
        self.connectionCount = plan.model.connections
        self.timeoutNanos = plan.requestTimeout.nanoseconds
        self.graceNanos = plan.gracefulStop.nanoseconds
        self.retryWaitNanos = plan.respectRetryAfter ? LoadPlan.longestRetryWait.nanoseconds : nil
        switch plan.model {
        case .closedDuration(_, _, let think), .rampingUsers(_, let think): thinkNanos = think.nanoseconds
        default: thinkNanos = 0
        }
        var key = 0
        templates = try plan.endpoints.enumerated().map { index, endpoint in
            try endpoint.paths.map { path in
                defer { key += 1 }
                return try RequestTemplate(
                    endpoint: index, endpoint, path: path, target: plan.target, runTag: plan.runTag, traceContext: plan.traceContext, key: key)
            }
        }
        do {
            journey = try plan.journey.map { (journey) throws(JourneyError) in
                try CompiledJourney(journey, target: plan.target, runTag: plan.runTag, traceContext: plan.traceContext)
            }
        } catch {
            throw LoadEngineError.invalidPlan("the journey's \(error)")
        }
        randomSeed = TraceParent.runHalf(plan.runTag)
        recorder = WorkerRecorder(endpointCount: plan.endpoints.count, exemplars: plan.exemplars, journey: plan.journey != nil)
    }

    /// A bootstrap for one of this worker's connections; the user adds its handler.
    func makeBootstrap() -> ClientBootstrap {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
    }

    /// Makes the users with these run-wide indices and opens their first connections.
    func connectUsers(_ indices: [Int]) {
        if let http2Streams {
            http2Connections = stride(from: 0, to: indices.count, by: http2Streams).map { _ in HTTP2Connection(worker: self) }
            users = indices.enumerated().map { position, index in
                VirtualUser(index: index, worker: self, http2: http2Connections[position / http2Streams])
            }
        } else {
            users = indices.map { VirtualUser(index: $0, worker: self) }
        }
        for user in users { user.connectInitially() }
    }

    /// Starts the clock-driven part: every user sends as its model says, and the sweeper watches timeouts.
    func begin(startNanos: UInt64) {
        self.startNanos = startNanos
        cpuAtBegin = MonotonicClock.threadCPUNanoseconds()
        let end = startNanos &+ (model.plannedDuration?.nanoseconds ?? 0)
        switch model {
        case .closedRequests:
            schedule = .requests
        case .closedDuration:
            schedule = .until(end: end, ramp: nil)
        case .rampingUsers(let ramp, _):
            schedule = .until(end: end, ramp: ramp)
        case .constantRate, .rampingRate:
            let pacer = model.pacer!
            schedule = .open(pacer: pacer, totalDue: pacer.requestsDue(by: model.plannedDuration!.seconds), end: end)
        }
        sweep(every: .milliseconds(Int64(min(50, max(1, timeoutNanos / 1_000_000 / 10)))))
        if model.plannedDuration != nil {
            cutOff = eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(end &+ graceNanos)) { [self] in cutOffAtEnd() }
        }
        for user in users { user.start(userSchedule(for: user.index)) }
    }

    /// The planned end and its grace are over: requests still in flight are cut off and counted apart.
    private func cutOffAtEnd() {
        for user in users {
            if user.isWaiting { recorder.cutOffAtEnd += 1 }
            user.stop()
        }
    }

    /// User `index`'s own schedule.
    func userSchedule(for index: Int) -> UserSchedule {
        let kind: UserSchedule.Kind
        switch (schedule, model) {
        case (.requests, .closedRequests(let users, let total)):
            kind = .requests(remaining: total / users + (index < total % users ? 1 : 0))
        case (.until(let end, let ramp), _):
            kind = .until(end: end, ramp: ramp)
        case (.open(let pacer, _, let end), _):
            kind = .open(pacer: pacer, next: index, stride: connectionCount, end: end)
        default:
            kind = .requests(remaining: 0)
        }
        return UserSchedule(kind: kind, index: index, start: startNanos, think: thinkNanos)
    }

    /// Fails requests past the timeout, every `interval`, until the worker is collected.
    private func sweep(every interval: TimeAmount) {
        sweeper = eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            let now = EngineClock.now()
            for user in users { user.checkTimeout(now: now) }
            if sweeper != nil { sweep(every: interval) }
        }
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
        for user in users { user.stop() }
        for connection in http2Connections { connection.close() }
    }

    /// Stops the sweeper and hands over the recordings, with the last second closed.
    func collect() -> WorkerRecorder {
        sweeper?.cancel()
        sweeper = nil
        cutOff?.cancel()
        cutOff = nil
        recorder.seconds.closeAll()
        recorder.threadCPUNanos = [MonotonicClock.threadCPUNanoseconds() &- cpuAtBegin]
        users.removeAll()  // each user holds its worker; the run is over
        for connection in http2Connections { connection.close() }
        http2Connections.removeAll()
        return recorder
    }

    /// This worker's windows of seconds `from..<before`, for the run's watch (progress and the abort check).
    func seconds(from: Int, before: Int) -> [SecondWindow] { recorder.seconds.snapshot(from: from, before: before) }
}
