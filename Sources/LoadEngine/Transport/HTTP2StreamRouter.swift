import NIOCore
import NIOHPACK
import NIOTLS

/// One HTTP/2 connection's client side, frame by frame on the connection's own pipeline: it
/// writes the preface and each request's frames as bytes (header blocks from the connection's
/// `HPACKRequestEncoder`), reads the server's frames, decodes response header blocks with
/// NIOHPACK, and routes each response to the user that asked.
///
/// SwiftNIO's `NIOHTTP2Handler` did this before, with a frame object, a header list of Strings
/// checked field by field and an encoder searching its tables for every request: more than half
/// the engine's CPU under `--http2`. What the engine needs of the protocol is small and is all
/// here: SETTINGS and their acknowledgement, PING answered, both directions' flow-control windows,
/// the server's limit of concurrent streams (streams past it wait their turn), GOAWAY (streams past
/// its last are sent again on a new connection), RST_STREAM, and a connection error (GOAWAY sent,
/// the connection closed, its requests `protocol` errors) for anything that breaks RFC 9113.
///
/// Writes of one turn of the loop leave in one buffer and one flush. Touched only on the worker's
/// event loop.
final class HTTP2StreamRouter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A request's stream: whose it is, what of its response has arrived, and what of the request
    /// has not left yet.
    private struct OpenStream {
        let user: VirtualUser
        let userGeneration: Int
        var response = ParsedResponse.empty
        /// Body bytes taken since the stream's window was last opened again.
        var unacknowledged = 0
        /// The request while it waits to be sent (its header block is encoded as it leaves: the
        /// HPACK table must see blocks in the order they are sent).
        var waiting: (head: HTTP2RequestHead, requestNumber: UInt64)?
        /// False while the stream waits for room under the server's limit of concurrent streams.
        var sent: Bool { waiting == nil }
        /// Body bytes not sent yet (waiting for the stream to be sent, or for window).
        var body: ByteBuffer?
        /// How much the server lets this stream send.
        var sendWindow: Int
    }

    /// A response header block arriving in HEADERS and CONTINUATION frames.
    private struct PendingHeaderBlock {
        let stream: UInt32
        let endStream: Bool
        var fragments: ByteBuffer
        var frames: Int
    }

    private weak var connection: HTTP2Connection?
    private let generation: Int
    private var context: ChannelHandlerContext?
    private var streams: [UInt32: OpenStream] = [:]
    private var nextStreamID: UInt32 = 1
    /// The last stream the server's GOAWAY said it would process; no new stream after one.
    private var goAwayLast: UInt32?
    /// Body bytes taken on the connection since its window was last opened again.
    private var unacknowledged = 0
    /// Why the connection failed, for the streams of a drained connection that hear of it at its close.
    private var connectionError: (any Error)?
    private var failed = false

    // What the server's SETTINGS allow.
    private var peerMaxConcurrentStreams = Int.max
    private var peerInitialWindow = HTTP2Wire.defaultWindow
    private var peerMaxFrameSize = HTTP2Wire.defaultMaxFrameSize
    private var connectionSendWindow = HTTP2Wire.defaultWindow
    /// Streams sent and not yet closed.
    private var sentStreams = 0
    /// Streams waiting to be sent, in the order of their identifiers.
    private var queued: [UInt32] = []
    /// Sent streams whose bodies wait for window.
    private var blocked: [UInt32] = []

    // Reading.
    /// The start of a frame that has not arrived whole.
    private var inbound: ByteBuffer?
    private var settingsSeen = false
    private var decoder = HPACKDecoder(
        allocator: ByteBufferAllocator(), maxDynamicTableSize: HPACKDecoder.maxDynamicTableSize, maxHeaderListSize: HTTP2Wire.maxHeaderBlock)
    private var headerBlock: PendingHeaderBlock?

    // Writing.
    private var encoder = HPACKRequestEncoder()
    /// One request's header block, before it is framed.
    private var block = ByteBuffer()
    private var outbox = ByteBuffer()
    private var flushPending = false

    init(connection: HTTP2Connection, generation: Int) {
        self.connection = connection
        self.generation = generation
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        outbox = context.channel.allocator.buffer(capacity: 4096)
        block = context.channel.allocator.buffer(capacity: 1024)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// True once the connection is up and the preface is written: no stream may start before.
    /// (A connect's future completes before `channelActive` runs.)
    private(set) var isActive = false

    func channelActive(context: ChannelHandlerContext) {
        // Over TLS, the TLS handler keeps these until its handshake is done.
        outbox.writeBytes(HTTP2Wire.preface)
        HTTP2Wire.writeSettings(
            [
                (HTTP2Wire.Setting.enablePush, 0),  // a server push is not asked for
                (HTTP2Wire.Setting.maxConcurrentStreams, 1_000),
                // Windows large enough that flow control never throttles the test.
                (HTTP2Wire.Setting.initialWindowSize, UInt32(HTTP2Connection.window)),
                (HTTP2Wire.Setting.maxHeaderListSize, UInt32(HTTP2Wire.maxHeaderBlock)),
            ], to: &outbox)
        flushNow()
        isActive = true
        context.fireChannelActive()
        connection?.routerActive(generation: generation)
    }

    /// The connection is usable: its window is opened from the protocol's 64 KiB to the engine's own.
    func start() {
        HTTP2Wire.writeWindowUpdate(stream: 0, increment: HTTP2Connection.window - HTTP2Wire.defaultWindow, to: &outbox)
        requestFlush()
    }

    // MARK: Requests

    /// Opens a stream for one request; false when no new stream may start here (a GOAWAY came,
    /// the connection is gone, or its stream identifiers are used up).
    func open(for user: VirtualUser, generation userGeneration: Int, head: HTTP2RequestHead, requestNumber: UInt64) -> Bool {
        guard let context, !failed, goAwayLast == nil, context.channel.isActive else { return false }
        guard nextStreamID <= 0x7FFF_FFFF else {
            // Every identifier used: the connection is replaced, as after a GOAWAY.
            connection?.goAwayReceived(generation: generation, counted: false)
            return false
        }
        let id = nextStreamID
        nextStreamID += 2
        streams[id] = OpenStream(user: user, userGeneration: userGeneration, sendWindow: peerInitialWindow)
        if queued.isEmpty && sentStreams < peerMaxConcurrentStreams {
            send(id, head: head, requestNumber: requestNumber)
        } else {
            streams[id]?.waiting = (head, requestNumber)
            queued.append(id)
        }
        // Told once the stream exists: a user that has moved on in between resets a stream that is there.
        user.http2StreamOpened(HTTP2StreamHandle(router: self, id: id), generation: userGeneration)
        return true
    }

    /// The user gave up its request (a timeout, the run's end): the stream is reset, its frames ignored.
    func reset(_ id: UInt32) {
        guard let stream = remove(id), stream.sent, !failed, context?.channel.isActive == true else { return }
        HTTP2Wire.writeReset(stream: id, code: HTTP2Wire.ErrorCode.cancel, to: &outbox)
        requestFlush()
    }

    private func send(_ id: UInt32, head: HTTP2RequestHead, requestNumber: UInt64) {
        sentStreams += 1
        block.clear()
        encoder.encode(head, requestNumber: requestNumber, into: &block)
        // A bodiless request's HEADERS end the stream: no empty DATA frame (servers count those as abuse).
        let endStream = head.body == nil ? HTTP2Wire.Flag.endStream : 0
        if block.readableBytes <= peerMaxFrameSize {
            HTTP2Wire.writeHead(length: block.readableBytes, type: HTTP2Wire.FrameType.headers, flags: HTTP2Wire.Flag.endHeaders | endStream, stream: id, to: &outbox)
            outbox.writeBuffer(&block)
        } else {
            var type = HTTP2Wire.FrameType.headers
            var flags = endStream
            while block.readableBytes > 0 {
                let piece = block.readSlice(length: min(peerMaxFrameSize, block.readableBytes))!
                if block.readableBytes == 0 { flags |= HTTP2Wire.Flag.endHeaders }
                HTTP2Wire.writeHead(length: piece.readableBytes, type: type, flags: flags, stream: id, to: &outbox)
                outbox.writeImmutableBuffer(piece)
                type = HTTP2Wire.FrameType.continuation
                flags = 0
            }
        }
        if let body = head.body {
            streams[id]?.body = body
            sendBody(id)
        }
        requestFlush()
    }

    /// Sends what the windows allow of a stream's body; the rest waits for a WINDOW_UPDATE.
    private func sendBody(_ id: UInt32) {
        guard var stream = streams[id], var body = stream.body else { return }
        defer { streams[id] = stream }
        while true {
            let size = min(connectionSendWindow, stream.sendWindow, peerMaxFrameSize, body.readableBytes)
            if size <= 0 && body.readableBytes > 0 {
                stream.body = body
                if !blocked.contains(id) { blocked.append(id) }
                return
            }
            let piece = body.readSlice(length: max(0, size))!
            let last = body.readableBytes == 0
            HTTP2Wire.writeHead(length: piece.readableBytes, type: HTTP2Wire.FrameType.data, flags: last ? HTTP2Wire.Flag.endStream : 0, stream: id, to: &outbox)
            outbox.writeImmutableBuffer(piece)
            connectionSendWindow -= piece.readableBytes
            stream.sendWindow -= piece.readableBytes
            if last {
                stream.body = nil
                return
            }
        }
    }

    /// Bodies that waited for window, and streams that waited for room, go on.
    private func resume() {
        if !blocked.isEmpty {
            let waiting = blocked
            blocked = []
            for id in waiting { sendBody(id) }
        }
        startQueued()
        requestFlush()
    }

    /// Waiting streams go out while the server's limit allows; none after a GOAWAY (they are refused).
    private func startQueued() {
        while goAwayLast == nil, sentStreams < peerMaxConcurrentStreams, !queued.isEmpty {
            let id = queued.removeFirst()
            guard let waiting = streams[id]?.waiting else { continue }
            streams[id]?.waiting = nil
            send(id, head: waiting.head, requestNumber: waiting.requestNumber)
        }
    }

    /// Forgets a stream; a sent one makes room for a waiting one.
    private func remove(_ id: UInt32) -> OpenStream? {
        guard let stream = streams.removeValue(forKey: id) else { return nil }
        if stream.sent {
            sentStreams -= 1
            if stream.body != nil { blocked.removeAll { $0 == id } }
            if !queued.isEmpty && !failed { startQueued() }
        } else {
            queued.removeAll { $0 == id }
        }
        return stream
    }

    /// One flush for everything written in this turn of the loop: the loop runs its tasks after
    /// the reads of the turn, so the requests their answers set off leave together.
    private func requestFlush() {
        guard !flushPending, let context else { return }
        flushPending = true
        context.eventLoop.assumeIsolated().execute { [self] in
            flushPending = false
            flushNow()
        }
    }

    private func flushNow() {
        guard let context, outbox.readableBytes > 0 else { return }
        let bytes = outbox
        outbox.clear()
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    // MARK: Frames from the server

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var buffer = unwrapInboundIn(data)
        if var start = inbound {
            inbound = nil
            start.writeBuffer(&buffer)
            buffer = start
        }
        do {
            while let head = HTTP2Wire.peekHead(buffer) {
                try check(head)
                guard buffer.readableBytes >= HTTP2Wire.frameHeadLength + head.length else { break }
                buffer.moveReaderIndex(forwardBy: HTTP2Wire.frameHeadLength)
                try receive(head, payload: buffer.readSlice(length: head.length)!)
                if failed { return }
            }
        } catch let error as HTTP2ProtocolError {
            return failConnection(error)
        } catch {
            return failConnection(HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "\(error)"))
        }
        if buffer.readableBytes > 0 {
            // The start of a frame: kept, in a buffer of its own, until the rest comes.
            var start = context.channel.allocator.buffer(capacity: max(buffer.readableBytes, 1024))
            start.writeBuffer(&buffer)
            inbound = start
        }
    }

    /// What a frame's head alone breaks, found before its payload arrives (a server that is not
    /// HTTP/2 at all announces frames of megabytes).
    private func check(_ head: HTTP2Wire.FrameHead) throws {
        guard head.length <= HTTP2Wire.defaultMaxFrameSize else {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "a frame of \(head.length) bytes, beyond the \(HTTP2Wire.defaultMaxFrameSize) allowed")
        }
        if !settingsSeen && (head.type != HTTP2Wire.FrameType.settings || head.has(HTTP2Wire.Flag.ack)) {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "the server's first frame is not SETTINGS (not an HTTP/2 server?)")
        }
        if let headerBlock, head.type != HTTP2Wire.FrameType.continuation || head.stream != headerBlock.stream {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a header block interrupted by another frame")
        }
    }

    private func receive(_ head: HTTP2Wire.FrameHead, payload: ByteBuffer) throws {
        switch head.type {
        case HTTP2Wire.FrameType.data: try receivedData(head, payload)
        case HTTP2Wire.FrameType.headers: try receivedHeaders(head, payload)
        case HTTP2Wire.FrameType.continuation: try receivedContinuation(head, payload)
        case HTTP2Wire.FrameType.rstStream: try receivedReset(head, payload)
        case HTTP2Wire.FrameType.settings: try receivedSettings(head, payload)
        case HTTP2Wire.FrameType.ping: try receivedPing(head, payload)
        case HTTP2Wire.FrameType.goAway: try receivedGoAway(head, payload)
        case HTTP2Wire.FrameType.windowUpdate: try receivedWindowUpdate(head, payload)
        case HTTP2Wire.FrameType.pushPromise:
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a PUSH_PROMISE, though push is off")
        default:
            break  // PRIORITY, and frame types this client does not know, are ignored (RFC 9113, 4.1)
        }
    }

    private func receivedData(_ head: HTTP2Wire.FrameHead, _ payload: ByteBuffer) throws {
        let id = head.stream
        guard id != 0 else { throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "DATA on stream 0") }
        let data = try Self.unpadded(head, payload)
        // The connection's window is the engine's to open again, answered or not.
        reopenWindow(of: 0, taken: &unacknowledged, adding: head.length)
        guard var stream = streams[id], stream.sent else { return }
        guard stream.response.status > 0 else {
            return failStream(id, ResponseParser.Failure.malformed("HTTP/2 DATA before the response's HEADERS"), reset: true)
        }
        stream.response.bodyBytes += data.readableBytes
        if head.has(HTTP2Wire.Flag.endStream) {
            streams[id] = stream
            return finish(id)
        }
        reopenWindow(of: id, taken: &stream.unacknowledged, adding: head.length)
        streams[id] = stream
    }

    /// Counts `length` more bytes taken from a window, and opens it again by all it has taken once
    /// that is half of it.
    private func reopenWindow(of id: UInt32, taken: inout Int, adding length: Int) {
        taken += length
        guard taken >= HTTP2Connection.window / 2 else { return }
        HTTP2Wire.writeWindowUpdate(stream: id, increment: taken, to: &outbox)
        taken = 0
        requestFlush()
    }

    private func receivedHeaders(_ head: HTTP2Wire.FrameHead, _ payload: ByteBuffer) throws {
        let id = head.stream
        guard id & 1 == 1, id < nextStreamID else {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "HEADERS on stream \(id), which the engine never opened")
        }
        var fragment = try Self.unpadded(head, payload)
        if head.has(HTTP2Wire.Flag.priority) {
            guard fragment.readableBytes >= 5 else {
                throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "HEADERS too short for its priority")
            }
            fragment.moveReaderIndex(forwardBy: 5)
        }
        let endStream = head.has(HTTP2Wire.Flag.endStream)
        if head.has(HTTP2Wire.Flag.endHeaders) { return try headerBlockDone(id, endStream: endStream, block: fragment) }
        var fragments = context?.channel.allocator.buffer(capacity: fragment.readableBytes * 2) ?? ByteBuffer()
        fragments.writeBuffer(&fragment)
        headerBlock = PendingHeaderBlock(stream: id, endStream: endStream, fragments: fragments, frames: 1)
    }

    private func receivedContinuation(_ head: HTTP2Wire.FrameHead, _ payload: ByteBuffer) throws {
        guard var block = headerBlock else {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a CONTINUATION without a header block")
        }
        block.frames += 1
        guard block.fragments.readableBytes + payload.readableBytes <= HTTP2Wire.maxHeaderBlock, block.frames <= HTTP2Wire.maxContinuationFrames + 1 else {
            throw HTTP2ProtocolError(
                code: HTTP2Wire.ErrorCode.protocolError,
                reason: "a header block beyond \(HTTP2Wire.maxHeaderBlock) bytes or \(HTTP2Wire.maxContinuationFrames) CONTINUATION frames")
        }
        block.fragments.writeImmutableBuffer(payload)
        guard head.has(HTTP2Wire.Flag.endHeaders) else {
            headerBlock = block
            return
        }
        headerBlock = nil
        try headerBlockDone(block.stream, endStream: block.endStream, block: block.fragments)
    }

    /// A whole response header block: decoded whatever its stream (the decoder's table must follow
    /// every block), then the stream's status and `Server-Timing` read.
    private func headerBlockDone(_ id: UInt32, endStream: Bool, block: ByteBuffer) throws {
        var block = block
        let headers: HPACKHeaders
        do {
            headers = try decoder.decodeHeaders(from: &block)
        } catch {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.compressionError, reason: "a header block that is not valid HPACK (\(error))")
        }
        guard var stream = streams[id], stream.sent else { return }  // a stream given up
        if stream.response.status == 0 {
            guard let status = headers.first(name: ":status").flatMap({ Int($0) }), (100...599).contains(status) else {
                return failStream(id, ResponseParser.Failure.malformed("an HTTP/2 response without a valid :status"), reset: !endStream)
            }
            // Interim (1xx) heads are not the answer.
            if status >= 200 {
                stream.response.status = status
                for (name, value, _) in headers {
                    var value = value
                    value.withUTF8 { stream.response.readHeader(lowercaseName: name, UnsafeRawBufferPointer($0)) }
                }
                streams[id] = stream
            }
        }
        if endStream { finish(id) }
    }

    private func receivedReset(_ head: HTTP2Wire.FrameHead, _ payload: ByteBuffer) throws {
        guard head.stream != 0 else { throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "RST_STREAM on stream 0") }
        guard head.length == 4, let code = payload.getInteger(at: payload.readerIndex, as: UInt32.self) else {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "an RST_STREAM of \(head.length) bytes")
        }
        let id = head.stream
        guard let stream = streams[id], stream.sent else { return }
        if code == HTTP2Wire.ErrorCode.refusedStream, connection?.isGone(since: generation) ?? true {
            // Refused unprocessed by a server that is going away (RFC 9113, 8.7): safe to send
            // again, on the next connection.
            return refuse(id)
        }
        if code != HTTP2Wire.ErrorCode.noError { stream.user.http2StreamReset(generation: stream.userGeneration) }
        failStream(id, nil, reset: false)
    }

    private func receivedSettings(_ head: HTTP2Wire.FrameHead, _ payload: ByteBuffer) throws {
        guard head.stream == 0 else { throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "SETTINGS on stream \(head.stream)") }
        if head.has(HTTP2Wire.Flag.ack) {
            guard head.length == 0 else { throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "a SETTINGS acknowledgement with a payload") }
            return
        }
        guard head.length % 6 == 0 else {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "a SETTINGS frame of \(head.length) bytes (settings come in sixes)")
        }
        settingsSeen = true
        var payload = payload
        while let identifier = payload.readInteger(as: UInt16.self), let value = payload.readInteger(as: UInt32.self) {
            switch identifier {
            case HTTP2Wire.Setting.maxConcurrentStreams:
                peerMaxConcurrentStreams = Int(value)
            case HTTP2Wire.Setting.initialWindowSize:
                guard value <= HTTP2Wire.maxWindow else {
                    throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.flowControlError, reason: "an initial window of \(value), beyond 2^31-1")
                }
                let change = Int(value) - peerInitialWindow
                peerInitialWindow = Int(value)
                for id in streams.keys { streams[id]!.sendWindow += change }
            case HTTP2Wire.Setting.maxFrameSize:
                guard (HTTP2Wire.defaultMaxFrameSize...0xFF_FFFF).contains(Int(value)) else {
                    throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a maximum frame size of \(value)")
                }
                peerMaxFrameSize = Int(value)
            case HTTP2Wire.Setting.enablePush:
                guard value <= 1 else { throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "ENABLE_PUSH of \(value)") }
            case HTTP2Wire.Setting.headerTableSize:
                // Applies from the acknowledgement below: every block written after it.
                encoder.peerTableSize(Int(value))
            default:
                break
            }
        }
        HTTP2Wire.writeHead(length: 0, type: HTTP2Wire.FrameType.settings, flags: HTTP2Wire.Flag.ack, to: &outbox)
        resume()
    }

    private func receivedPing(_ head: HTTP2Wire.FrameHead, _ payload: ByteBuffer) throws {
        guard head.stream == 0 else { throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "PING on stream \(head.stream)") }
        guard head.length == 8 else { throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "a PING of \(head.length) bytes") }
        guard !head.has(HTTP2Wire.Flag.ack) else { return }
        HTTP2Wire.writeHead(length: 8, type: HTTP2Wire.FrameType.ping, flags: HTTP2Wire.Flag.ack, to: &outbox)
        outbox.writeImmutableBuffer(payload)
        requestFlush()
    }

    private func receivedWindowUpdate(_ head: HTTP2Wire.FrameHead, _ payload: ByteBuffer) throws {
        guard head.length == 4, let raw = payload.getInteger(at: payload.readerIndex, as: UInt32.self) else {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "a WINDOW_UPDATE of \(head.length) bytes")
        }
        let increment = Int(raw & 0x7FFF_FFFF)
        if head.stream == 0 {
            guard increment > 0 else { throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "a connection WINDOW_UPDATE of 0") }
            connectionSendWindow += increment
            guard connectionSendWindow <= HTTP2Wire.maxWindow else {
                throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.flowControlError, reason: "the connection's window beyond 2^31-1")
            }
        } else if var stream = streams[head.stream] {
            stream.sendWindow += increment
            guard increment > 0, stream.sendWindow <= HTTP2Wire.maxWindow else {
                return failStream(head.stream, ResponseParser.Failure.malformed("an HTTP/2 stream's WINDOW_UPDATE of \(increment)"), reset: true)
            }
            streams[head.stream] = stream
        }
        if !blocked.isEmpty { resume() }
    }

    /// The server takes no new stream here: the ones past its last are sent again on a new
    /// connection (RFC 9113, 6.8); the others finish here.
    private func receivedGoAway(_ head: HTTP2Wire.FrameHead, _ payload: ByteBuffer) throws {
        guard head.stream == 0 else { throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "GOAWAY on stream \(head.stream)") }
        guard head.length >= 8, let raw = payload.getInteger(at: payload.readerIndex, as: UInt32.self) else {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.frameSizeError, reason: "a GOAWAY of \(head.length) bytes")
        }
        let last = raw & 0x7FFF_FFFF
        goAwayLast = min(last, goAwayLast ?? last)
        // The connection first, so that the refused requests go to a new one, not back here.
        connection?.goAwayReceived(generation: generation)
        for id in streams.keys.sorted() where id > last { refuse(id) }
    }

    /// A frame's payload without its padding (DATA and HEADERS may be padded).
    private static func unpadded(_ head: HTTP2Wire.FrameHead, _ payload: ByteBuffer) throws -> ByteBuffer {
        guard head.has(HTTP2Wire.Flag.padded) else { return payload }
        var payload = payload
        guard let padding = payload.readInteger(as: UInt8.self), Int(padding) <= payload.readableBytes else {
            throw HTTP2ProtocolError(code: HTTP2Wire.ErrorCode.protocolError, reason: "padding longer than its frame")
        }
        return payload.getSlice(at: payload.readerIndex, length: payload.readableBytes - Int(padding))!
    }

    // MARK: Endings of streams

    private func finish(_ id: UInt32) {
        guard let stream = streams[id] else { return }
        guard stream.response.status > 0 else {
            return failStream(id, ResponseParser.Failure.malformed("an HTTP/2 stream ended without a response"), reset: false)
        }
        _ = remove(id)
        stream.user.http2Answered(stream.response, generation: stream.userGeneration)
    }

    private func refuse(_ id: UInt32) {
        guard let stream = remove(id) else { return }
        stream.user.http2StreamRefused(generation: stream.userGeneration)
    }

    /// The stream failed: `error` nil when it was closed under its request without a word of its
    /// own; `reset` when the server has not ended it, so that it stops.
    private func failStream(_ id: UInt32, _ error: (any Error)?, reset: Bool) {
        if let goAwayLast, id > goAwayLast { return refuse(id) }
        guard let stream = remove(id) else { return }
        if reset && !failed {
            HTTP2Wire.writeReset(stream: id, code: HTTP2Wire.ErrorCode.protocolError, to: &outbox)
            requestFlush()
        }
        stream.user.http2StreamFailed(error, generation: stream.userGeneration)
    }

    // MARK: The connection

    /// The server broke the protocol: GOAWAY says why, the connection closes, its users hear why first.
    private func failConnection(_ error: HTTP2ProtocolError) {
        guard !failed else { return }
        failed = true
        inbound = nil
        headerBlock = nil
        if connectionError == nil { connectionError = error }
        HTTP2Wire.writeGoAway(lastStream: 0, code: error.code, to: &outbox)
        flushNow()
        connection?.lost(generation: generation, error: error)
        context?.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event {
            connection?.handshakeCompleted(negotiatedProtocol: negotiated, generation: generation)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failed = true
        // Streams still open hear of it through their users' connection (`http2ConnectionLost`),
        // or, on a connection a GOAWAY drained, here.
        let open = streams
        streams = [:]
        queued = []
        blocked = []
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
        // A broken connection (reset, TLS alert): its users hear why first.
        if connectionError == nil { connectionError = error }
        failed = true
        connection?.lost(generation: generation, error: error)
        context.close(promise: nil)
    }
}

/// A user's request in flight on an HTTP/2 connection: its stream, to reset when the user gives up.
struct HTTP2StreamHandle {
    /// Weak: the stream's connection may be gone before its user lets go.
    weak var router: HTTP2StreamRouter?
    let id: UInt32

    func reset() {
        router?.reset(id)
    }
}
