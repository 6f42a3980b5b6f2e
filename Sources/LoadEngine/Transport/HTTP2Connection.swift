import NIOConcurrencyHelpers
import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOTLS
import Observability

/// One HTTP/2 connection shared by up to `streams` users of a worker: each user's request is a
/// stream of its own, so the users' requests are multiplexed on it. It connects when a user first
/// needs it and again after it is lost (a close, a GOAWAY), tells its users when it is ready or
/// failed, and opens the streams. Touched only on its worker's event loop.
final class HTTP2Connection {
    private enum State {
        case idle
        case connecting
        case ready(channel: any Channel, multiplexer: NIOHTTP2Handler.StreamMultiplexer)
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
    /// Returns false when the connection is not ready (it was lost in between).
    /// The request is written as frames: its HEADERS end the stream when there is no body, so no
    /// empty DATA frame is ever sent (servers count those as abuse: ENHANCE_YOUR_CALM).
    func openStream(for user: VirtualUser, generation userGeneration: Int, headers: HPACKHeaders, body: ByteBuffer?) -> Bool {
        guard case .ready(_, let multiplexer) = state else { return false }
        let bound = NIOLoopBound(user, eventLoop: worker.eventLoop)
        let connection = NIOLoopBound(self, eventLoop: worker.eventLoop)
        let connectionGeneration = generation
        // A stream that cannot be made (the connection is closing) never runs its initializer: its
        // request was not sent, and the connection is done for.
        let opened = worker.eventLoop.makePromise(of: (any Channel).self)
        opened.futureResult.assumeIsolated().whenFailure { [self] error in
            lost(generation: connectionGeneration, error: error)
            user.http2StreamRefused(generation: userGeneration)
        }
        multiplexer.createStreamChannel(promise: opened) { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(
                    HTTP2StreamHandler(user: bound.value, generation: userGeneration, connection: connection.value, connectionGeneration: connectionGeneration))
                bound.value.http2StreamOpened(stream, generation: userGeneration)
                let head = HTTP2Frame.FramePayload.headers(.init(headers: headers, endStream: body == nil))
                if let body {
                    stream.write(head, promise: nil)
                    stream.writeAndFlush(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(body), endStream: true)), promise: nil)
                } else {
                    stream.writeAndFlush(head, promise: nil)
                }
            }
        }
        return true
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
                    var settings = NIOHTTP2Handler.ConnectionConfiguration()
                    // Windows large enough that flow control never throttles the test.
                    settings.initialSettings = [
                        HTTP2Setting(parameter: .maxConcurrentStreams, value: 1_000),
                        HTTP2Setting(parameter: .initialWindowSize, value: HTTP2Connection.window),
                        HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 20),
                    ]
                    settings.targetWindowSize = HTTP2Connection.window
                    var streams = NIOHTTP2Handler.StreamConfiguration()
                    streams.targetWindowSize = HTTP2Connection.window
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .client, connectionConfiguration: settings, streamConfiguration: streams
                    ) { pushed in
                        pushed.close()  // a server push is not asked for
                    }
                    try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionWatcher(connection: connection.value, generation: generation))
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
            guard let tls = worker.tls else { return ready(channel) }
            let timeout = worker.eventLoop.assumeIsolated().scheduleTask(in: tls.handshakeTimeout) { [self] in
                guard generation == self.generation else { return }
                lost(tlsReason: tls.timeoutReason)
            }
            handshake = (EngineClock.now(), timeout, refusal)
            pendingChannel = channel
        }
    }

    /// HTTPS: the channel whose handshake goes on.
    private var pendingChannel: (any Channel)?

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
            let multiplexer = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
            state = .ready(channel: channel, multiplexer: multiplexer)
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
    /// while the streams under way finish here (they report to their own users).
    func goAwayReceived(generation: Int, lastStreamID: HTTP2StreamID? = nil, counted: Bool = true) {
        if let lastStreamID { drainedAfter[generation] = lastStreamID }
        guard generation == self.generation else { return }
        if counted { worker.recorder.connections.goAways += 1 }
        guard case .ready(let channel, _) = state else { return }
        self.generation += 1
        state = .idle
        let users = attached.values
        attached = [:]
        // The server closes it once its streams are done; the run's end closes it otherwise.
        draining.append(channel)
        channel.closeFuture.assumeIsolated().whenComplete { [weak self] _ in self?.draining.removeAll { $0 === channel } }
        // Streams past the last one the server will process are sent again on a new connection.
        if let lastStreamID {
            for (user, userGeneration) in users { user.http2GoAway(lastStreamID: lastStreamID, generation: userGeneration) }
        }
    }

    /// Connections a GOAWAY drained: their streams finish there, no new one starts.
    private var draining: [any Channel] = []
    /// The last stream each drained connection's server said it would process, by generation.
    private var drainedAfter: [Int: HTTP2StreamID] = [:]

    /// True when the stream `id` of the connection of `generation` was past the last one its
    /// server's GOAWAY promised to process: it was not processed, and may be sent again.
    func wasRefused(_ id: HTTP2StreamID?, generation: Int) -> Bool {
        guard let last = drainedAfter[generation] else { return false }
        return id.map { $0 > last } ?? true
    }
}

/// Watches an HTTP/2 connection for the events its users care about: the handshake's end, a
/// GOAWAY, the close and errors.
final class HTTP2ConnectionWatcher: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame

    private weak var connection: HTTP2Connection?
    private let generation: Int

    init(connection: HTTP2Connection, generation: Int) {
        self.connection = connection
        self.generation = generation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .goAway(let last, _, _) = unwrapInboundIn(data).payload { connection?.goAwayReceived(generation: generation, lastStreamID: last) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event {
            connection?.handshakeCompleted(negotiatedProtocol: negotiated, generation: generation)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection?.lost(generation: generation, error: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A stream's error is that stream's alone: its request fails, the connection goes on.
        guard !(error is NIOHTTP2Errors.StreamError) else { return }
        connection?.lost(generation: generation, error: error)
        context.close(promise: nil)
    }
}

/// One request's stream: the response's status, `Server-Timing` and body size, or how it failed
/// (a reset by the server counts apart).
final class HTTP2StreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload

    private weak var user: VirtualUser?
    private let generation: Int
    private weak var connection: HTTP2Connection?
    private let connectionGeneration: Int
    private var response = ParsedResponse.empty
    private var done = false

    init(user: VirtualUser, generation: Int, connection: HTTP2Connection, connectionGeneration: Int) {
        self.user = user
        self.generation = generation
        self.connection = connection
        self.connectionGeneration = connectionGeneration
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            if response.status == 0 {
                guard let status = headers.headers.first(name: ":status").flatMap({ Int($0) }), (100...599).contains(status) else {
                    return fail(context, ResponseParser.Failure.malformed("an HTTP/2 response without a valid :status"))
                }
                // Interim (1xx) heads are not the answer.
                guard status >= 200 else { return }
                response.status = status
                if let value = headers.headers.first(name: "server-timing") {
                    var value = value
                    value.withUTF8 { response.readServerTiming(UnsafeRawBufferPointer($0)) }
                }
            }
            if headers.endStream { finish(context) }
        case .data(let data):
            if case .byteBuffer(let bytes) = data.data { response.bodyBytes += bytes.readableBytes }
            if data.endStream { finish(context) }
        case .rstStream(let code):
            guard !done else { return }
            if code == .refusedStream, connection?.isGone(since: connectionGeneration) ?? true {
                // Refused unprocessed by a server that is going away (RFC 9113, 8.7): safe to send
                // again, on the next connection.
                done = true
                user?.http2StreamRefused(generation: generation)
                return
            }
            if code != .noError { user?.http2StreamReset(generation: generation) }
            fail(context, nil)
        default:
            break
        }
    }

    private func finish(_ context: ChannelHandlerContext) {
        guard !done else { return }
        guard response.status > 0 else { return fail(context, ResponseParser.Failure.malformed("an HTTP/2 stream ended without a response")) }
        done = true
        // The stream closes itself now that both sides ended it; closing it here would reset a
        // finished stream, which servers count against the connection.
        user?.http2Answered(response, generation: generation)
    }

    private func fail(_ context: ChannelHandlerContext, _ error: (any Error)?) {
        guard !done else { return }
        done = true
        let id = try? context.channel.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID)
        if connection?.wasRefused(id, generation: connectionGeneration) == true {
            // Past the last stream the server's GOAWAY promised to process (RFC 9113, 6.8): not
            // processed, so sent again on the next connection.
            user?.http2StreamRefused(generation: generation)
        } else if error == nil {
            // Closed under its request without a word of its own: its connection may be coming down
            // for a reason it reports in the same turn of the loop (frames that broke HTTP/2 close
            // every stream first). The connection speaks first; this only tells a user it did not reach.
            let user = self.user, generation = self.generation
            context.eventLoop.assumeIsolated().execute { user?.http2StreamFailed(nil, generation: generation) }
        } else {
            user?.http2StreamFailed(error, generation: generation)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context, nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let refused = error is NIOHTTP2Errors.CreatedStreamAfterGoaway
            || (error as? NIOHTTP2Errors.StreamClosed)?.errorCode == .refusedStream
        if refused, !done {
            // The GOAWAY came before this stream left, or named an earlier last stream: the server
            // did not process it (RFC 9113, 6.8); it goes to the next connection.
            done = true
            connection?.goAwayReceived(generation: connectionGeneration, counted: false)
            user?.http2StreamRefused(generation: generation)
            context.close(promise: nil)
            return
        }
        fail(context, error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? StreamClosedEvent, event.reason == .refusedStream, !done {
            done = true
            connection?.goAwayReceived(generation: connectionGeneration, counted: false)
            user?.http2StreamRefused(generation: generation)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
