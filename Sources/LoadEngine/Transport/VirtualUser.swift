import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One connection and the user behind it: the thin I/O shell around `UserStateMachine`. It opens
/// connections, writes requests, feeds what arrives to the parser, sets timers, and records what
/// the machine says has ended, all on its worker's event loop.
///
/// Not `Sendable`: it is only touched on its loop, and the compiler holds it to that (timers and
/// futures go through `assumeIsolated()`, the pipeline reaches it through a `NIOLoopBound`).
final class VirtualUser {
    let index: Int
    /// Strong: a user's timer may fire after its worker's run is over; `Worker.collect()` breaks the cycle.
    private let worker: Worker
    private var machine = UserStateMachine()
    private var connection: UserConnection?
    /// Bumped whenever the user lets go of a connection: events of older connections are ignored.
    private var generation = 0
    private var timer: Scheduled<Void>?
    private var parser = ResponseParser()
    /// Bytes of a response that has not arrived whole; they belong to this connection only.
    private var held: ByteBuffer?
    /// True while the user's own write is in progress: a failure then is a write error.
    private var writing = false
    /// HTTPS: while the handshake of a new connection goes on, when it began (the TCP connection),
    /// its deadline, and why the server's certificate was refused, if it was.
    private var handshake: (start: UInt64, timeout: Scheduled<Void>, refusal: NIOLockedValueBox<String?>)?

    // The request in flight.
    private var endpoint = 0
    private var requestNumber: UInt64 = 0
    /// It was sent after a `Retry-After` the user waited out.
    private var afterRetryWait = false
    /// The user is waiting out a `Retry-After`: its next request is sent after the wait.
    private var retryWaitPending = false

    // What comes next.
    private var sequencePosition: Int
    private var pathCursors: [Int]
    private var sent: UInt64 = 0

    /// A journey's run: where this user is in it.
    private let journey: JourneyProgress?

    /// HTTP/2: the connection this user shares with others; its requests are streams on it.
    private let http2: HTTP2Connection?
    /// HTTP/2: the stream of the request in flight.
    private var stream: HTTP2StreamHandle?

    init(index: Int, worker: Worker, http2: HTTP2Connection? = nil) {
        self.index = index
        self.worker = worker
        self.http2 = http2
        sequencePosition = index % worker.sequence.count
        pathCursors = worker.templates.map { index % $0.count }
        journey = worker.journey.map { JourneyProgress(user: index, users: worker.connectionCount, slots: $0.initialSlots, seed: worker.randomSeed) }
    }

    /// True while a request is in flight.
    var isWaiting: Bool { machine.isWaiting }

    // MARK: Events from the worker

    /// The first connection, before the run's clock starts; the outcome goes to the coordinator.
    func connectInitially() {
        perform(.init(next: machine.connectInitially()), now: EngineClock.now())
    }

    /// The run's clock started.
    func start(_ schedule: UserSchedule) {
        let now = EngineClock.now()
        perform(machine.start(schedule, now: now), now: now)
    }

    /// Called by the worker's sweeper: fails the request in flight if it is past the timeout.
    func checkTimeout(now: UInt64) {
        guard machine.isWaiting else { return }
        perform(machine.checkTimeout(now: now, limit: worker.timeoutNanos), now: now)
    }

    /// Stops this user now: closes its connection, counts what the schedule still owed.
    func stop() {
        perform(machine.stop(), now: EngineClock.now())
    }

    // MARK: Events from the connection

    /// Bytes from a SwiftNIO channel: each read is a buffer of its own, so the part of a response
    /// that has not arrived whole is held until the next.
    func received(_ incoming: ByteBuffer, generation: Int) {
        guard generation == self.generation else { return }
        var buffer = incoming
        if var earlier = held {
            held = nil
            earlier.writeImmutableBuffer(incoming)
            buffer = earlier
        }
        if consume(&buffer), buffer.readableBytes > 0 { held = buffer }
    }

    /// Bytes read by a `SocketConnection` into the buffer it keeps: what is not consumed stays
    /// there for the next read.
    func received(in buffer: inout ByteBuffer, generation: Int) {
        guard generation == self.generation else { return }
        if !consume(&buffer) { buffer.clear() }
    }

    /// Parses what has arrived and acts on a whole response; true while a response is still
    /// incomplete (the buffer's rest is its start), false when the rest is of no more use.
    private func consume(_ buffer: inout ByteBuffer) -> Bool {
        let now = EngineClock.now()
        guard machine.isWaiting else {
            worker.recorder.connections.unsolicited += 1
            perform(machine.protocolViolation(now: now), now: now)
            return false
        }
        let response: ParsedResponse?
        do {
            response = try parser.parse(&buffer)
        } catch {
            perform(machine.protocolViolation(now: now), now: now)
            return false
        }
        guard let response else { return true }
        let trailing = buffer.readableBytesView.contains { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        perform(machine.responseReceived(now: now, keepAlive: response.keepAlive, trailingBytes: trailing, hold: hold(after: response)), now: now, response: response)
        return false
    }

    /// How long to wait before the next request after `response`: its `Retry-After`, when the plan
    /// respects it and the response is a refusal (429) or an unavailability (503); else nothing.
    /// A journey's step adds its think time (the longer of the two is waited).
    private func hold(after response: ParsedResponse?) -> UInt64 {
        var think: UInt64 = 0
        if let journey, let compiled = worker.journey {
            think = CompiledJourney.thinkNanos(compiled.steps[endpoint].think, using: &journey.values.random)
        }
        guard let longest = worker.retryWaitNanos, let response, response.status == 429 || response.status == 503,
            let seconds = response.rateLimit.retryAfterSeconds
        else { return think }
        retryWaitPending = true
        return max(think, min(UInt64(seconds) * 1_000_000_000, longest))
    }

    /// HTTPS: the new connection's handshake is done; the connection is ready for requests.
    func handshakeCompleted(generation: Int) {
        guard generation == self.generation, let handshake else { return }
        self.handshake = nil
        handshake.timeout.cancel()
        let now = EngineClock.now()
        worker.recorder.handshakes.recordClamped((now &- handshake.start) / 1000)
        ready(now: now, newConnection: true)
    }

    func connectionClosed(generation: Int) {
        guard generation == self.generation else { return }
        if handshake != nil { return handshakeFailed("the server closed the connection during the handshake") }
        let now = EngineClock.now()
        connection = nil
        if writing { return perform(machine.connectionFailed(.write, now: now), now: now) }
        worker.recorder.connections.closedByServer += 1
        let response = parser.connectionClosed()
        perform(machine.connectionClosed(now: now, completedResponse: response != nil, hold: hold(after: response)), now: now, response: response)
    }

    func connectionFailed(_ error: any Error, generation: Int) {
        guard generation == self.generation else { return }
        if let handshake {
            return handshakeFailed(TLSClient.failureReason(error, refusal: handshake.refusal.withLockedValue { $0 }))
        }
        if TransportFailure.isTLS(error) { worker.recorder.tlsFailures[TLSClient.failureReason(error, refusal: nil), default: 0] += 1 }
        let now = EngineClock.now()
        perform(machine.connectionFailed(TransportFailure.kind(of: error, duringWrite: writing), now: now), now: now)
    }

    // MARK: Events from a shared HTTP/2 connection and its streams

    func http2Ready(generation: Int) {
        guard generation == self.generation else { return }
        ready(now: EngineClock.now(), newConnection: false)
    }

    func http2ConnectFailed(_ kind: ErrorKind, reason: String, generation: Int) {
        guard generation == self.generation else { return }
        let initial = machine.state == .connecting(due: nil)
        let now = EngineClock.now()
        perform(machine.connectFailed(now: now, kind: kind), now: now)
        if initial {
            worker.coordinator.reportInitialConnect(error: StatedFailure(reason: kind == .tls ? "TLS: \(reason)" : reason))
        }
    }

    func http2ConnectionLost(_ kind: ErrorKind, generation: Int) {
        guard generation == self.generation else { return }
        stream = nil
        let now = EngineClock.now()
        perform(machine.connectionFailed(kind, now: now), now: now)
    }

    func http2StreamOpened(_ stream: HTTP2StreamHandle, generation: Int) {
        guard generation == self.generation else { return stream.reset() }
        self.stream = stream
    }

    func http2Answered(_ response: ParsedResponse, generation: Int) {
        guard generation == self.generation, machine.isWaiting else { return }
        stream = nil
        let now = EngineClock.now()
        perform(machine.responseReceived(now: now, keepAlive: true, trailingBytes: false, hold: hold(after: response)), now: now, response: response)
    }

    func http2StreamFailed(_ error: (any Error)?, generation: Int) {
        guard generation == self.generation, machine.isWaiting else { return }
        stream = nil
        let now = EngineClock.now()
        let kind: ErrorKind = error.map { $0 is ResponseParser.Failure || TransportFailure.isHTTP2Protocol($0) ? .protocol : TransportFailure.kind(of: $0, duringWrite: false) } ?? .read
        perform(machine.connectionFailed(kind, now: now), now: now)
    }

    /// A draining server refused the request's stream unprocessed, or its GOAWAY came before the
    /// stream left: the request is sent again on a new connection.
    func http2StreamRefused(generation: Int) {
        guard generation == self.generation, machine.isWaiting else { return }
        let refused = stream
        stream = nil
        self.generation += 1  // whatever the refused stream still says is not this request's
        refused?.reset()
        worker.recorder.connections.streamsRefused += 1
        perform(machine.notSent(), now: EngineClock.now())
    }

    /// The server reset the request's stream (its failure follows).
    func http2StreamReset(generation: Int) {
        guard generation == self.generation else { return }
        worker.recorder.connections.streamsReset += 1
    }

    // MARK: Doing what the machine says

    /// `woken`: the actions answer this user's own timer.
    private func perform(_ actions: UserStateMachine.Actions, now: UInt64, response: ParsedResponse? = nil, woken: Bool = false) {
        if let outcome = actions.outcome { record(outcome, response: response, now: now) }
        if actions.close { letGoOfConnection() }
        switch actions.next {
        case .none:
            break
        case .connect:
            connect()
        case .send(let due):
            send(due: due, now: now, woken: woken)
        case .wake(let deadline):
            timer = worker.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(deadline)) { [self] in
                timer = nil
                let now = EngineClock.now()
                perform(machine.timerFired(now: now), now: now, woken: true)
            }
        case .finish:
            finish()
        }
    }

    private func record(_ outcome: UserStateMachine.Outcome, response: ParsedResponse?, now: UInt64) {
        var status = 0
        var error = outcome.error
        var timing: ParsedResponse?
        if error == nil, let response {
            status = response.status
            error = ErrorKind.forStatus(status)
            timing = response
        }
        if let journey, let compiled = worker.journey {
            endpoint = journey.step  // also the step of a request that failed before it left (no connection)
            error = journey.judge(compiled.steps[endpoint], status: status, error: error, response: timing)
            journey.advance(compiled, failed: error != nil, now: now, into: &worker.recorder.journeys!)
        }
        worker.record(Sample(
            endpoint: endpoint, status: status, error: error, correctedMicros: (now &- outcome.due) / 1000,
            uncorrectedMicros: (now &- outcome.sent) / 1000, serverTiming: timing?.serverTiming,
            serverTimingRejected: timing?.serverTimingRejected ?? false, requestNumber: requestNumber,
            finishedAt: now &- worker.startNanos, rateLimit: timing.flatMap { $0.rateLimit.isEmpty ? nil : $0.rateLimit },
            afterRetryWait: afterRetryWait, journeyNumber: journey?.number))
    }

    private func connect() {
        generation += 1
        if let http2 { return http2.acquire(self, generation: generation) }
        let generation = self.generation
        #if os(Linux)
        if let loop = worker.socketLoop {
            connection = .socket(SocketConnection(to: worker.address, on: loop, timeout: worker.connectTimeout, user: self, generation: generation))
            return
        }
        #endif
        let user = NIOLoopBound(self, eventLoop: worker.eventLoop)
        let tls = worker.tls
        let refusal = NIOLockedValueBox<String?>(nil)
        worker.makeBootstrap()
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeHandler(refusal: refusal)) }
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(user: user.value, generation: generation))
                }
            }
            .connect(to: worker.address)
            .assumeIsolated()
            .whenComplete { [self] result in connected(result.map { .channel($0) }, generation: generation, refusal: refusal) }
    }

    #if os(Linux)
    /// The engine's own socket connected, or could not (`error`).
    func socketConnected(_ socket: SocketConnection, error: (any Error)?, generation: Int) {
        connected(error.map { .failure($0) } ?? .success(.socket(socket)), generation: generation, refusal: nil)
    }
    #endif

    private func connected(_ result: Result<UserConnection, any Error>, generation: Int, refusal: NIOLockedValueBox<String?>?) {
        guard generation == self.generation else {
            if case .success(let connection) = result { connection.close() }
            return
        }
        let initial = machine.state == .connecting(due: nil)
        let now = EngineClock.now()
        switch result {
        case .success(let connection):
            self.connection = connection
            guard let tls = worker.tls, let refusal else { return ready(now: now, newConnection: true) }
            // The connection is usable once its handshake is done (`handshakeCompleted`), or fails as `tls`.
            let timeout = worker.eventLoop.assumeIsolated().scheduleTask(in: tls.handshakeTimeout) { [self] in
                guard generation == self.generation else { return }
                handshakeFailed(tls.timeoutReason)
            }
            handshake = (now, timeout, refusal)
        case .failure(let error):
            connection = nil
            worker.recorder.connections.failed += 1
            perform(machine.connectFailed(now: now), now: now)
            if initial { worker.coordinator.reportInitialConnect(error: error) }
        }
    }

    /// A connection (and its handshake, over HTTPS) is made, or an HTTP/2 connection is there to
    /// share: the user may send on it.
    private func ready(now: UInt64, newConnection: Bool) {
        let initial = machine.state == .connecting(due: nil)
        parser = ResponseParser()
        held = nil
        if newConnection { worker.recorder.connections.opened += 1 }
        perform(machine.connected(now: now), now: now)
        if initial { worker.coordinator.reportInitialConnect(error: nil) }
    }

    /// HTTPS: the new connection's handshake failed; the request that wanted it fails as `tls`.
    private func handshakeFailed(_ reason: String) {
        let initial = machine.state == .connecting(due: nil)
        let now = EngineClock.now()
        handshake?.timeout.cancel()
        handshake = nil
        worker.recorder.connections.failed += 1
        worker.recorder.tlsFailures[reason, default: 0] += 1
        letGoOfConnection()
        perform(machine.connectFailed(now: now, kind: .tls), now: now)
        if initial { worker.coordinator.reportInitialConnect(error: StatedFailure(reason: "TLS: \(reason)")) }
    }

    private func send(due: UInt64, now: UInt64, woken: Bool) {
        if connection == nil && http2 == nil { return }
        if let journey, let compiled = worker.journey { return sendStep(of: journey, compiled, due: due) }
        endpoint = worker.sequence[sequencePosition]
        sequencePosition = (sequencePosition + 1) % worker.sequence.count
        let path = pathCursors[endpoint]
        pathCursors[endpoint] = (path + 1) % worker.templates[endpoint].count
        requestNumber = (UInt64(index) << 40) | (sent & 0xFF_FFFF_FFFF)
        sent += 1
        afterRetryWait = retryWaitPending
        retryWaitPending = false
        if worker.isOpenModel { worker.recorder.recordLateness(micros: (now &- due) / 1000, woken: woken) }
        if let http2 {
            if !http2.openStream(for: self, generation: generation, head: worker.templates[endpoint][path].http2, requestNumber: requestNumber) {
                // The shared connection went away (closed, or drained by a GOAWAY) since the answer
                // before: the request waits for a new one.
                perform(machine.notSent(), now: now)
            }
            return
        }
        guard let connection else { return }
        let bytes = worker.templates[endpoint][path].stamped(requestNumber)
        parser.expectResponse(worker.templates[endpoint][path].expectation)
        // A write that fails at once closes the connection inside this call: the flag tells that
        // failure apart from a read's. Nothing after the write may touch the request's state.
        writing = true
        connection.write(bytes)
        writing = false
    }

    /// A journey's next request, written from its templates (HTTP/1.1 only; plans refuse HTTP/2).
    private func sendStep(of journey: JourneyProgress, _ compiled: CompiledJourney, due: UInt64) {
        guard let connection else { return }
        endpoint = journey.step
        requestNumber = (UInt64(index) << 40) | (sent & 0xFF_FFFF_FFFF)
        sent += 1
        afterRetryWait = retryWaitPending
        retryWaitPending = false
        journey.sending(due: due, number: requestNumber)
        let step = compiled.steps[endpoint]
        let bytes = compiled.render(endpoint, values: journey.values, number: requestNumber, journeyNumber: journey.number, into: &journey.head, body: &journey.body)
        parser.expectResponse(.init(bodiless: step.bodiless, keepBody: step.readsBody, keepHeaders: step.capturedHeaders))
        writing = true
        connection.write(bytes)
        writing = false
    }

    /// Stops listening to the current connection and closes it.
    private func letGoOfConnection() {
        generation += 1
        handshake?.timeout.cancel()
        handshake = nil
        connection?.close()
        connection = nil
        stream?.reset()  // HTTP/2: resets the stream, not the shared connection
        stream = nil
        http2?.detach(self)
        parser = ResponseParser()
        held = nil
    }

    private func finish() {
        timer?.cancel()
        timer = nil
        letGoOfConnection()
        if case .open(_, let totalDue, _) = worker.schedule, !worker.stopping {
            worker.recorder.unsent += machine.owed(totalDue: totalDue)
        }
        worker.userFinished()
    }
}
