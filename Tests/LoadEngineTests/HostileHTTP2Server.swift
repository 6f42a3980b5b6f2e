import NIOCore
import NIOPosix
import Observability

/// An h2c server written frame by frame, for what SwiftNIO's HTTP/2 server would never send: it
/// reads the client's preface and frames, acknowledges its settings, and answers each HEADERS with
/// one scripted behaviour, its bytes written in pieces a millisecond apart.
final class HostileHTTP2Server: Sendable {
    enum Behaviour: String, CaseIterable, Sendable {
        /// HEADERS with `:status: 200`, END_STREAM: the control.
        case valid
        /// A SETTINGS frame five bytes long (settings come in sixes): a frame size error.
        case malformedFrame
        /// A header block of 2 MiB in CONTINUATION frames, beyond what the client accepts (in size
        /// and in frames).
        case oversizedHeaderBlock
        /// Random bytes where frames belong.
        case garbage
        /// An HTTP/1.1 answer to the h2c preface: a server that does not speak HTTP/2.
        case http1Answer
        /// A response HEADERS block that is not HPACK (an index beyond every table).
        case badHeaderBlock
        /// Valid, unusual: HEADERS padded and with a priority.
        case padded
        /// Valid: the header block split over HEADERS and a CONTINUATION.
        case continued
        /// Valid: a 103 head before the 200.
        case interim
        /// Valid: a body, then trailers that end the stream.
        case trailers
        /// Valid: fields entered in the HPACK dynamic table by the connection's first answer and
        /// named by index in the others (`:status` and `server-timing`).
        case dynamicTable
        /// Valid: a PING after the server's SETTINGS; no stream is answered before its acknowledgement.
        case pingFirst
        /// Valid: MAX_CONCURRENT_STREAMS of 1, answers a millisecond late; a client that opens a
        /// second stream once it has acknowledged the limit gets garbage.
        case oneStream
        /// Valid: a stream window of 16 bytes, opened again as DATA arrives; a client that sends
        /// past the window gets garbage. (The test sends 100-byte bodies.)
        case smallWindow
        /// A PUSH_PROMISE, though the client turned push off.
        case pushPromise
        /// DATA before the response's HEADERS.
        case dataBeforeHeaders
        /// HEADERS on stream 2, which a client never opens.
        case evenStream

        /// True when a correct client finishes every request with a 200.
        var isValid: Bool {
            switch self {
            case .valid, .padded, .continued, .interim, .trailers, .dynamicTable, .pingFirst, .oneStream, .smallWindow: true
            default: false
            }
        }
    }

    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.port = port
        self.channel = channel
        self.group = group
    }

    static func start(_ behaviour: Behaviour, pieceSize: Int = 0) async throws -> HostileHTTP2Server {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour, pieceSize: pieceSize))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HostileHTTP2Server(port: channel.localAddress!.port!, channel: channel, group: group)
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// A frame: 24-bit length, type, flags, stream.
    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
                UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
    }

    /// An HPACK integer with a `prefix`-bit prefix, its first byte or-ed with `flags`.
    static func integer(_ value: Int, prefix: Int, flags: UInt8 = 0) -> [UInt8] {
        let limit = (1 << prefix) - 1
        guard value >= limit else { return [flags | UInt8(value)] }
        var bytes = [flags | UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        return bytes + [UInt8(rest)]
    }

    /// What the server sends for the HEADERS of `stream`.
    static func answer(_ behaviour: Behaviour, stream: UInt32) -> [UInt8] {
        let endStream: UInt8 = 0x1, endHeaders: UInt8 = 0x4
        switch behaviour {
        case .valid:
            return frame(type: 0x1, flags: endStream | endHeaders, stream: stream, [0x88])  // :status 200, indexed
        case .malformedFrame:
            return frame(type: 0x4, [0, 0, 0, 0, 0])
        case .oversizedHeaderBlock:
            let size = 2 << 20
            var block: [UInt8] = [0x88, 0x00] + integer(5, prefix: 7) + Array("x-big".utf8) + integer(size, prefix: 7)
            block += [UInt8](repeating: UInt8(ascii: "a"), count: size)
            // In frames of 1 KiB: the client gives up after a few of them, so even written 7 bytes a
            // millisecond the run is over in seconds.
            var bytes = frame(type: 0x1, flags: endStream, stream: stream, Array(block.prefix(1024)))
            var offset = 1024
            while offset < block.count {
                let end = min(offset + 1024, block.count)
                bytes += frame(type: 0x9, flags: end == block.count ? endHeaders : 0, stream: stream, Array(block[offset..<end]))
                offset = end
            }
            return bytes
        case .garbage:
            var generator = SplitMix64(seed: UInt64(stream))
            return (0..<512).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        case .http1Answer:
            return []
        case .badHeaderBlock:
            return frame(type: 0x1, flags: endStream | endHeaders, stream: stream, integer(10_000, prefix: 7, flags: 0x80))
        case .padded:
            let padded: UInt8 = 0x8, priority: UInt8 = 0x20
            return frame(type: 0x1, flags: endStream | endHeaders | padded | priority, stream: stream, [3, 0, 0, 0, 0, 16, 0x88, 0, 0, 0])
        case .continued:
            return frame(type: 0x1, flags: endStream, stream: stream, [0x88])
                + frame(type: 0x9, flags: endHeaders, stream: stream, [0x00, 3] + Array("x-a".utf8) + [1, UInt8(ascii: "b")])
        case .interim:
            return frame(type: 0x1, flags: endHeaders, stream: stream, [0x08, 3] + Array("103".utf8))
                + frame(type: 0x1, flags: endStream | endHeaders, stream: stream, [0x88])
        case .trailers:
            return frame(type: 0x1, flags: endHeaders, stream: stream, [0x88])
                + frame(type: 0x0, stream: stream, Array("hello".utf8))
                + frame(type: 0x1, flags: endStream | endHeaders, stream: stream, [0x00, 3] + Array("x-t".utf8) + [1, UInt8(ascii: "1")])
        case .dynamicTable:
            // Stream 1 is each connection's first: it enters `:status: 200` (62 once the next is
            // in, 63 after) and `server-timing` (62); the others name both by index.
            guard stream == 1 else { return frame(type: 0x1, flags: endStream | endHeaders, stream: stream, [0x80 | 63, 0x80 | 62]) }
            let timing = Array("app;dur=0.5".utf8)
            return frame(type: 0x1, flags: endStream | endHeaders, stream: stream,
                [0x48, 3] + Array("200".utf8) + [0x40, 13] + Array("server-timing".utf8) + [UInt8(timing.count)] + timing)
        case .pingFirst, .oneStream, .smallWindow:
            return frame(type: 0x1, flags: endStream | endHeaders, stream: stream, [0x88])
        case .pushPromise:
            return frame(type: 0x5, flags: endHeaders, stream: stream, [0, 0, 0, 2, 0x82, 0x86, 0x84])
        case .dataBeforeHeaders:
            return frame(type: 0x0, flags: endStream, stream: stream, Array("early".utf8))
        case .evenStream:
            return frame(type: 0x1, flags: endStream | endHeaders, stream: 2, [0x88])
        }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        let pieceSize: Int
        private var buffer: [UInt8] = []
        private var prefaceRead = false
        private var settingsSent = false
        /// `pingFirst`: streams held until the client acknowledges the PING.
        private var pingAcknowledged = false
        private var held: [UInt32] = []
        /// The client has acknowledged this server's SETTINGS: before, it may rightly go by the
        /// protocol's defaults (RFC 9113, 6.5.3).
        private var settingsAcknowledged = false
        /// `oneStream`: the stream being answered.
        private var openStream: UInt32?
        /// `smallWindow`: what each stream opened after the acknowledgement may still send.
        private var windows: [UInt32: Int] = [:]
        private static let smallWindow = 16
        private var broken = false
        /// Pieces waiting to be written, one a millisecond, in order.
        private var pieces: [[UInt8]] = []

        init(behaviour: Behaviour, pieceSize: Int) {
            self.behaviour = behaviour
            self.pieceSize = pieceSize
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            buffer += incoming.readBytes(length: incoming.readableBytes) ?? []
            if behaviour == .http1Answer {
                send(Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\nConnection: close\r\n\r\nbad request".utf8), context: context)
                buffer = []
                return
            }
            if !prefaceRead {
                guard buffer.count >= 24 else { return }
                buffer.removeFirst(24)
                prefaceRead = true
            }
            while buffer.count >= 9 {
                let length = Int(buffer[0]) << 16 | Int(buffer[1]) << 8 | Int(buffer[2])
                guard buffer.count >= 9 + length else { return }
                let type = buffer[3], flags = buffer[4]
                let stream = UInt32(buffer[5] & 0x7F) << 24 | UInt32(buffer[6]) << 16 | UInt32(buffer[7]) << 8 | UInt32(buffer[8])
                let payload = Array(buffer[9..<9 + length])
                buffer.removeFirst(9 + length)
                guard !broken else { return }
                switch type {
                case 0x4 where flags & 0x1 == 0:
                    var reply = settingsSent ? [] : HostileHTTP2Server.frame(type: 0x4, settings)
                    if !settingsSent && behaviour == .pingFirst { reply += HostileHTTP2Server.frame(type: 0x6, Array("hostile!".utf8)) }
                    settingsSent = true
                    reply += HostileHTTP2Server.frame(type: 0x4, flags: 0x1, [])
                    send(reply, context: context)
                case 0x4:
                    settingsAcknowledged = true
                case 0x6 where flags & 0x1 != 0:
                    guard payload == Array("hostile!".utf8) else { return breakOff(context) }
                    pingAcknowledged = true
                    for stream in held { send(HostileHTTP2Server.answer(behaviour, stream: stream), context: context) }
                    held = []
                case 0x1:
                    headers(stream: stream, endStream: flags & 0x1 != 0, context: context)
                case 0x0 where behaviour == .smallWindow:
                    let window = (windows[stream] ?? Int.max) - length
                    guard window >= 0 else { return breakOff(context) }
                    windows[stream] = window
                    if flags & 0x1 != 0 {
                        send(HostileHTTP2Server.answer(behaviour, stream: stream), context: context)
                    } else if length > 0 {
                        windows[stream] = window + length
                        send(HostileHTTP2Server.frame(type: 0x8, stream: stream, [0, 0, 0, UInt8(length)]), context: context)
                    }
                default:
                    break
                }
            }
        }

        /// The server's SETTINGS: a limit of one stream, or a stream window of 16 bytes.
        private var settings: [UInt8] {
            switch behaviour {
            case .oneStream: [0, 3, 0, 0, 0, 1]
            case .smallWindow: [0, 4, 0, 0, 0, UInt8(Self.smallWindow)]
            default: []
            }
        }

        private func headers(stream: UInt32, endStream: Bool, context: ChannelHandlerContext) {
            switch behaviour {
            case .pingFirst where !pingAcknowledged:
                held.append(stream)
            case .oneStream:
                guard !settingsAcknowledged || openStream == nil else { return breakOff(context) }
                openStream = stream
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(1)) {
                    let (handler, context) = loopBound.value
                    if handler.openStream == stream { handler.openStream = nil }
                    handler.send(HostileHTTP2Server.answer(handler.behaviour, stream: stream), context: context)
                }
            case .smallWindow where !endStream:
                if settingsAcknowledged { windows[stream] = Self.smallWindow }  // answered when its body has come
            default:
                send(HostileHTTP2Server.answer(behaviour, stream: stream), context: context)
            }
        }

        /// The client broke a rule this server checks: it gets garbage, and its requests fail.
        private func breakOff(_ context: ChannelHandlerContext) {
            broken = true
            send([UInt8](repeating: 0xFF, count: 16), context: context)  // a frame of 16 MiB
        }

        /// Writes `bytes` whole, or in pieces a millisecond apart.
        private func send(_ bytes: [UInt8], context: ChannelHandlerContext) {
            guard !bytes.isEmpty else { return }
            guard pieceSize > 0 else {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
                return
            }
            let idle = pieces.isEmpty
            for start in stride(from: 0, to: bytes.count, by: pieceSize) { pieces.append(Array(bytes[start..<min(start + pieceSize, bytes.count)])) }
            if idle { writeNextPiece(context: context) }
        }

        private func writeNextPiece(context: ChannelHandlerContext) {
            guard !pieces.isEmpty else { return }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: pieces.removeFirst())), promise: nil)
            guard !pieces.isEmpty else { return }
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(1)) {
                let (handler, context) = loopBound.value
                handler.writeNextPiece(context: context)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
