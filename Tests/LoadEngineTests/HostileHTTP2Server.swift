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
                buffer.removeFirst(9 + length)
                switch type {
                case 0x4 where flags & 0x1 == 0:
                    var reply = settingsSent ? [] : HostileHTTP2Server.frame(type: 0x4, [])
                    settingsSent = true
                    reply += HostileHTTP2Server.frame(type: 0x4, flags: 0x1, [])
                    send(reply, context: context)
                case 0x1:
                    send(HostileHTTP2Server.answer(behaviour, stream: stream), context: context)
                default:
                    break
                }
            }
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
