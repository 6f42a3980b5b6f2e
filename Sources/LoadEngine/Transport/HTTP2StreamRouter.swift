import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOTLS

/// The streams of one HTTP/2 connection, driven frame by frame on the connection's own pipeline:
/// no child channel per stream (SwiftNIO's multiplexer made one, with its own pipeline, for every
/// request: half the engine's CPU under `--http2`), and one flush per turn of the loop for all the
/// requests written in it. It opens streams for the users, routes each response's frames to the
/// user that asked, keeps the flow-control windows open, and tells its `HTTP2Connection` of the
/// handshake, a GOAWAY, a close and errors.
///
/// Lives on its connection's pipeline, behind `NIOHTTP2Handler` (which frames, checks the protocol
/// and answers SETTINGS and PING); touched only on the worker's event loop.
final class HTTP2StreamRouter: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// A request's stream: whose it is and what of its response has arrived.
    private struct OpenStream {
        let user: VirtualUser
        let userGeneration: Int
        var response = ParsedResponse.empty
        /// Body bytes taken since the stream's window was last opened again.
        var unacknowledged = 0
    }

    private weak var connection: HTTP2Connection?
    private let generation: Int
    private var context: ChannelHandlerContext?
    private var streams: [HTTP2StreamID: OpenStream] = [:]
    private var nextStreamID = HTTP2StreamID(1)
    /// The last stream the server's GOAWAY said it would process; no new stream after one.
    private var goAwayLast: HTTP2StreamID?
    /// Body bytes taken on the connection since its window was last opened again.
    private var unacknowledged = 0
    private var flushPending = false
    /// Why the connection failed, for the streams of a drained connection that hear of it at its close.
    private var connectionError: (any Error)?

    init(connection: HTTP2Connection, generation: Int) {
        self.connection = connection
        self.generation = generation
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// True once the connection is up and `NIOHTTP2Handler` (before this handler) has sent its preface:
    /// no frame may be written before. (A connect's future completes before `channelActive` runs.)
    private(set) var isActive = false

    func channelActive(context: ChannelHandlerContext) {
        isActive = true
        context.fireChannelActive()
        connection?.routerActive(generation: generation)
    }

    /// The connection is usable: its window is opened from the protocol's 64 KiB to the engine's own.
    func start() {
        writeWindowUpdate(stream: .rootStream, increment: HTTP2Connection.window - 65_535)
        requestFlush()
    }

    // MARK: Requests

    /// Opens a stream for one request; false when no new stream may start here (a GOAWAY came, or
    /// the connection is gone).
    func open(for user: VirtualUser, generation userGeneration: Int, headers: HPACKHeaders, body: ByteBuffer?) -> Bool {
        guard let context, goAwayLast == nil, context.channel.isActive else { return false }
        let id = nextStreamID
        nextStreamID = id.advanced(by: 2)
        streams[id] = OpenStream(user: user, userGeneration: userGeneration)
        // A stream that cannot start (the server's GOAWAY arrived while the request was on its way,
        // or the connection is closing) fails its write: the request was not sent.
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenFailure { [self] error in writeFailed(id, error) }
        // A bodiless request's HEADERS end the stream: no empty DATA frame (servers count those as abuse).
        let head = HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers, endStream: body == nil)))
        if let body {
            context.write(wrapOutboundOut(head), promise: nil)
            context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(body), endStream: true)))), promise: written)
        } else {
            context.write(wrapOutboundOut(head), promise: written)
        }
        requestFlush()
        // Told once the stream exists: a user that has moved on in between resets a stream that is there.
        user.http2StreamOpened(HTTP2StreamHandle(router: self, id: id), generation: userGeneration)
        return true
    }

    /// The user gave up its request (a timeout, the run's end): the stream is reset, its frames ignored.
    func reset(_ id: HTTP2StreamID) {
        guard streams.removeValue(forKey: id) != nil, let context, context.channel.isActive else { return }
        context.write(wrapOutboundOut(HTTP2Frame(streamID: id, payload: .rstStream(.cancel))), promise: nil)
        requestFlush()
    }

    /// One flush for everything written in this turn of the loop: the loop runs its tasks after
    /// the reads of the turn, so the requests their answers set off leave together.
    private func requestFlush() {
        guard !flushPending, let context else { return }
        flushPending = true
        context.eventLoop.assumeIsolated().execute { [self] in flushNow() }
    }

    private func flushNow() {
        guard flushPending else { return }
        flushPending = false
        context?.flush()
    }

    private func writeWindowUpdate(stream: HTTP2StreamID, increment: Int) {
        context?.write(wrapOutboundOut(HTTP2Frame(streamID: stream, payload: .windowUpdate(windowSizeIncrement: increment))), promise: nil)
    }

    // MARK: Frames from the server

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            receivedHeaders(headers, on: frame.streamID)
        case .data(let data):
            receivedData(data, on: frame.streamID)
        case .rstStream(let code):
            receivedReset(code, on: frame.streamID)
        case .goAway(let last, _, _):
            receivedGoAway(last)
        default:
            break
        }
    }

    private func receivedHeaders(_ headers: HTTP2Frame.FramePayload.Headers, on id: HTTP2StreamID) {
        guard var stream = streams[id] else { return }
        if stream.response.status == 0 {
            guard let status = headers.headers.first(name: ":status").flatMap({ Int($0) }), (100...599).contains(status) else {
                return failStream(id, ResponseParser.Failure.malformed("an HTTP/2 response without a valid :status"))
            }
            // Interim (1xx) heads are not the answer.
            guard status >= 200 else { return }
            stream.response.status = status
            if let value = headers.headers.first(name: "server-timing") {
                var value = value
                value.withUTF8 { stream.response.readServerTiming(UnsafeRawBufferPointer($0)) }
            }
            streams[id] = stream
        }
        if headers.endStream { finish(id) }
    }

    private func receivedData(_ data: HTTP2Frame.FramePayload.Data, on id: HTTP2StreamID) {
        let length = data.data.readableBytes + (data.paddingBytes ?? 0)
        // The connection's window is the engine's to open again, answered or not.
        reopenWindow(of: .rootStream, taken: &unacknowledged, adding: length)
        guard var stream = streams[id] else { return }
        stream.response.bodyBytes += data.data.readableBytes
        if data.endStream {
            streams[id] = stream
            return finish(id)
        }
        reopenWindow(of: id, taken: &stream.unacknowledged, adding: length)
        streams[id] = stream
    }

    /// Counts `length` more bytes taken from a window, and opens it again by all it has taken once
    /// that is half of it.
    private func reopenWindow(of id: HTTP2StreamID, taken: inout Int, adding length: Int) {
        taken += length
        guard taken >= HTTP2Connection.window / 2 else { return }
        writeWindowUpdate(stream: id, increment: taken)
        taken = 0
        requestFlush()
    }

    private func receivedReset(_ code: HTTP2ErrorCode, on id: HTTP2StreamID) {
        guard let stream = streams[id] else { return }
        if code == .refusedStream, connection?.isGone(since: generation) ?? true {
            // Refused unprocessed by a server that is going away (RFC 9113, 8.7): safe to send
            // again, on the next connection.
            return refuse(id)
        }
        if code != .noError { stream.user.http2StreamReset(generation: stream.userGeneration) }
        failStream(id, nil)
    }

    /// The server takes no new stream here: the ones past its last are sent again on a new
    /// connection (RFC 9113, 6.8); the others finish here.
    private func receivedGoAway(_ last: HTTP2StreamID) {
        goAwayLast = min(last, goAwayLast ?? last)
        // The connection first, so that the refused requests go to a new one, not back here.
        connection?.goAwayReceived(generation: generation)
        for id in streams.keys.sorted() where id > last { refuse(id) }
    }

    private func finish(_ id: HTTP2StreamID) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        guard stream.response.status > 0 else {
            streams[id] = stream
            return failStream(id, ResponseParser.Failure.malformed("an HTTP/2 stream ended without a response"))
        }
        stream.user.http2Answered(stream.response, generation: stream.userGeneration)
    }

    private func refuse(_ id: HTTP2StreamID) {
        guard let stream = streams.removeValue(forKey: id) else { return }
        stream.user.http2StreamRefused(generation: stream.userGeneration)
    }

    /// The stream failed: `error` nil when it was closed under its request without a word of its own.
    private func failStream(_ id: HTTP2StreamID, _ error: (any Error)?) {
        if let goAwayLast, id > goAwayLast { return refuse(id) }
        guard let stream = streams.removeValue(forKey: id) else { return }
        stream.user.http2StreamFailed(error, generation: stream.userGeneration)
    }

    private func writeFailed(_ id: HTTP2StreamID, _ error: any Error) {
        guard streams[id] != nil else { return }
        if error is NIOHTTP2Errors.CreatedStreamAfterGoaway || goAwayLast != nil {
            // The GOAWAY came before this stream left: the server did not process it.
            connection?.goAwayReceived(generation: generation, counted: false)
            return refuse(id)
        }
        // The connection is going; its close tells the stream's user.
    }

    // MARK: The connection

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event {
            connection?.handshakeCompleted(negotiatedProtocol: negotiated, generation: generation)
        } else if let event = event as? StreamClosedEvent, event.reason == .refusedStream, streams[event.streamID] != nil {
            connection?.goAwayReceived(generation: generation, counted: false)
            refuse(event.streamID)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Streams still open hear of it through their users' connection (`http2ConnectionLost`),
        // or, on a connection a GOAWAY drained, here.
        let open = streams
        streams = [:]
        connection?.lost(generation: generation, error: nil)
        for (id, stream) in open.sorted(by: { $0.key < $1.key }) {
            if let goAwayLast, id > goAwayLast {
                stream.user.http2StreamRefused(generation: stream.userGeneration)
            } else {
                stream.user.http2StreamFailed(connectionError, generation: stream.userGeneration)
            }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A stream's error is that stream's alone: its request fails, the connection goes on.
        if let error = error as? NIOHTTP2Errors.StreamError {
            if (error.baseError as? NIOHTTP2Errors.StreamClosed)?.errorCode == .refusedStream {
                return refuse(error.streamID)
            }
            return failStream(error.streamID, error.baseError)
        }
        // Frames that broke the protocol fail the whole connection: its users hear why first.
        if connectionError == nil { connectionError = error }
        connection?.lost(generation: generation, error: error)
        context.close(promise: nil)
    }
}

/// A user's request in flight on an HTTP/2 connection: its stream, to reset when the user gives up.
struct HTTP2StreamHandle {
    /// Weak: the stream's connection may be gone before its user lets go.
    weak var router: HTTP2StreamRouter?
    let id: HTTP2StreamID

    func reset() {
        router?.reset(id)
    }
}
