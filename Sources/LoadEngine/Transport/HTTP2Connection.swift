import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Observability

/// One HTTP/2 connection shared by up to `streams` users of a worker: each user's request is a
/// stream of its own, so the users' requests are multiplexed on it. It connects when a user first
/// needs it and again after it is lost (a close, a GOAWAY), tells its users when it is ready or
/// failed, and opens the streams. Touched only on its worker's event loop.
final class HTTP2Connection {
    private enum State {
        case idle
        case connecting
        case ready(channel: any Channel, router: HTTP2StreamRouter)
    }

    private let worker: Worker
    private var state = State.idle
    /// Bumped for every connection made: events of an older one are ignored.
    private var generation = 0
    /// Users waiting for the connection, with the generation of their own connection attempt.
    private var waiting: [(user: VirtualUser, generation: Int)] = []
    /// Every user that has been told this connection is ready: they hear of its loss.
    private var attached: [ObjectIdentifier: (user: VirtualUser, generation: Int)] = [:]
    private var handshake: (start: UInt64, timeout: Scheduled<Void>, refusal: NIOLockedValueBox<String?>)?

    init(worker: Worker) {
        self.worker = worker
    }

    /// `user` wants the connection: it is told `http2Ready` at once or once connected, or
    /// `http2ConnectFailed` when connecting fails.
    func acquire(_ user: VirtualUser, generation userGeneration: Int) {
        switch state {
        case .ready:
            attached[ObjectIdentifier(user)] = (user, userGeneration)
            user.http2Ready(generation: userGeneration)
        case .connecting:
            waiting.append((user, userGeneration))
        case .idle:
            waiting.append((user, userGeneration))
            connect()
        }
    }

    /// True when the connection a stream was opened on (`generation`) has since been drained by a
    /// GOAWAY or lost: a stream it refused can go to the next connection.
    func isGone(since generation: Int) -> Bool { generation != self.generation }

    /// A user no longer listens (it let go of its stream or finished).
    func detach(_ user: VirtualUser) {
        attached[ObjectIdentifier(user)] = nil
        waiting.removeAll { $0.user === user }
    }

    /// Opens a stream for one request; its answer or failure goes to `user` with `userGeneration`.
    /// Returns false when the connection is not ready (it was lost in between, or drained).
    func openStream(for user: VirtualUser, generation userGeneration: Int, head: HTTP2RequestHead, requestNumber: UInt64) -> Bool {
        guard case .ready(_, let router) = state else { return false }
        return router.open(for: user, generation: userGeneration, head: head, requestNumber: requestNumber)
    }

    /// Closes the connection (the run is over).
    func close() {
        // State first: closing fires channelInactive at once, and the watcher must find it stale.
        let channels = [readyChannel, pendingChannel].compactMap { $0 } + draining
        draining = []
        handshake?.timeout.cancel()
        handshake = nil
        pendingChannel = nil
        generation += 1
        state = .idle
        attached = [:]
        waiting = []
        for channel in channels { channel.close(promise: nil) }
    }

    private var readyChannel: (any Channel)? {
        if case .ready(let channel, _) = state { return channel }
        return nil
    }

    // MARK: Connecting

    private func connect() {
        state = .connecting
        generation += 1
        let generation = self.generation
        let tls = worker.tls
        let refusal = NIOLockedValueBox<String?>(nil)
        let connection = NIOLoopBound(self, eventLoop: worker.eventLoop)
        worker.makeBootstrap()
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeHandler(refusal: refusal)) }
                    // The router speaks HTTP/2 itself, frame by frame (no child channels, no frame objects).
                    try channel.pipeline.syncOperations.addHandler(HTTP2StreamRouter(connection: connection.value, generation: generation))
                }
            }
            .connect(to: worker.address)
            .assumeIsolated()
            .whenComplete { [self] result in connected(result, generation: generation, refusal: refusal) }
    }

    /// 4 MiB: the stream and connection windows the engine offers.
    static let window = 4 << 20

    private func connected(_ result: Result<any Channel, any Error>, generation: Int, refusal: NIOLockedValueBox<String?>) {
        guard generation == self.generation else {
            if case .success(let channel) = result { channel.close(promise: nil) }
            return
        }
        switch result {
        case .failure(let error):
            worker.recorder.connections.failed += 1
            failWaiting(.connect, reason: TransportFailure.connectReason(error))
        case .success(let channel):
            guard let tls = worker.tls else {
                // h2c: usable once the router has sent its preface (`routerActive`).
                if let router = try? channel.pipeline.syncOperations.handler(type: HTTP2StreamRouter.self), router.isActive { return ready(channel) }
                pendingChannel = channel
                return
            }
            let timeout = worker.eventLoop.assumeIsolated().scheduleTask(in: tls.handshakeTimeout) { [self] in
                guard generation == self.generation else { return }
                lost(tlsReason: tls.timeoutReason)
            }
            handshake = (EngineClock.now(), timeout, refusal)
            pendingChannel = channel
        }
    }

    /// The channel whose handshake goes on (HTTPS), or whose preface is not sent yet (h2c).
    private var pendingChannel: (any Channel)?

    /// h2c: the connection is up and its preface sent; it is ready for streams.
    func routerActive(generation: Int) {
        guard generation == self.generation, worker.tls == nil, let channel = pendingChannel else { return }
        pendingChannel = nil
        ready(channel)
    }

    /// HTTPS: the handshake is done; the server must have agreed to HTTP/2.
    func handshakeCompleted(negotiatedProtocol: String?, generation: Int) {
        guard generation == self.generation, let handshake, let channel = pendingChannel else { return }
        // (A stale handshake's channel was closed when it was given up.)
        self.handshake = nil
        pendingChannel = nil
        handshake.timeout.cancel()
        worker.recorder.handshakes.recordClamped((EngineClock.now() &- handshake.start) / 1000)
        guard negotiatedProtocol == "h2" else {
            self.generation += 1
            worker.recorder.connections.failed += 1
            let reason = "the server did not agree to HTTP/2 (ALPN: \(negotiatedProtocol ?? "none"))"
            worker.recorder.tlsFailures[reason, default: 0] += 1
            failWaiting(.tls, reason: reason)
            channel.close(promise: nil)
            return
        }
        ready(channel)
    }

    private func ready(_ channel: any Channel) {
        do {
            let router = try channel.pipeline.syncOperations.handler(type: HTTP2StreamRouter.self)
            state = .ready(channel: channel, router: router)
            router.start()
        } catch {
            channel.close(promise: nil)
            return failWaiting(.connect, reason: "HTTP/2 could not start: \(error)")
        }
        worker.recorder.connections.opened += 1
        let users = waiting
        waiting = []
        for (user, userGeneration) in users {
            attached[ObjectIdentifier(user)] = (user, userGeneration)
            user.http2Ready(generation: userGeneration)
        }
    }

    private func failWaiting(_ kind: ErrorKind, reason: String) {
        state = .idle
        let users = waiting
        waiting = []
        for (user, userGeneration) in users { user.http2ConnectFailed(kind, reason: reason, generation: userGeneration) }
    }

    // MARK: Events of the connection

    /// The connection closed or failed: waiting users fail, attached ones hear of it.
    func lost(generation: Int, error: (any Error)?) {
        guard generation == self.generation else { return }
        if handshake != nil {
            let reason = error.map { TLSClient.failureReason($0, refusal: handshake?.refusal.withLockedValue { $0 }) }
                ?? "the server closed the connection during the handshake"
            return lost(tlsReason: reason)
        }
        if case .connecting = state {
            worker.recorder.connections.failed += 1
            return failWaiting(.connect, reason: error.map(TransportFailure.connectReason) ?? "closed while connecting")
        }
        guard case .ready(let channel, _) = state else { return }
        self.generation += 1
        state = .idle
        worker.recorder.connections.closedByServer += 1
        let users = attached.values
        attached = [:]
        channel.close(promise: nil)
        // Frames that broke the protocol (malformed, oversized, not HTTP/2 at all) fail their
        // requests as such; a plain close or a reset connection is a read error.
        let kind: ErrorKind = error.map(TransportFailure.isHTTP2Protocol) == true ? .protocol : .read
        for (user, userGeneration) in users { user.http2ConnectionLost(kind, generation: userGeneration) }
    }

    private func lost(tlsReason reason: String) {
        handshake?.timeout.cancel()
        handshake = nil
        let channel = pendingChannel
        pendingChannel = nil
        generation += 1
        worker.recorder.connections.failed += 1
        worker.recorder.tlsFailures[reason, default: 0] += 1
        failWaiting(.tls, reason: reason)
        channel?.close(promise: nil)
    }

    /// The server will take no new streams on this connection: new requests go to a new one,
    /// while the streams under way finish here (its router tells their users).
    func goAwayReceived(generation: Int, counted: Bool = true) {
        guard generation == self.generation else { return }
        if counted { worker.recorder.connections.goAways += 1 }
        guard case .ready(let channel, _) = state else { return }
        self.generation += 1
        state = .idle
        attached = [:]
        // The server closes it once its streams are done; the run's end closes it otherwise.
        draining.append(channel)
        channel.closeFuture.assumeIsolated().whenComplete { [weak self] _ in self?.draining.removeAll { $0 === channel } }
    }

    /// Connections a GOAWAY drained: their streams finish there, no new one starts.
    private var draining: [any Channel] = []
}
