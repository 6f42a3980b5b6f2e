import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A TCP server that answers every request head with one scripted behaviour, valid HTTP or not,
/// writing its bytes in pieces of a chosen size with a pause between them so that they arrive
/// split at awkward places. It is what the engine must survive on servers we did not write.
final class HostileServer: Sendable {
    /// What the server sends for each request.
    enum Behaviour: String, CaseIterable, Sendable {
        /// 200 with a Content-Length and a Server-Timing: the control.
        case valid
        /// A head in pieces that ends with `Connection: close`, then the close.
        case closeAfterResponse
        /// About 60 KiB of headers.
        case hugeHeaders
        /// 100 Continue and 103 Early Hints before the final response.
        case interimResponses
        /// A chunked body with an extension and a trailer.
        case chunked
        /// HTTP/1.0 without a length: the body runs to the close.
        case closeDelimited
        /// A HEAD answered with a Content-Length and, rightly, no body.
        case headWithLength
        /// An SSH server's banner.
        case sshBanner
        /// A Content-Length of 30 digits.
        case absurdContentLength
        case negativeContentLength
        /// Server-Timing durations that are negative, huge or not numbers.
        case negativeServerTiming
        case hugeServerTiming
        case nonNumericServerTiming
        /// Random bytes.
        case garbage
        /// Two responses to one request.
        case twoResponses
        /// The connection closed as soon as the request arrives.
        case closeAtOnce
        /// The connection closed halfway through the body.
        case closeMidBody
        /// A chunk size that overflows 64 bits.
        case overflowingChunkSize
        /// 101 Switching Protocols to a plain request.
        case switchingProtocols
        /// A head longer than the engine's limit.
        case headBeyondLimit
        /// A status code outside 100-599.
        case impossibleStatus
        /// Nothing at all.
        case silence
    }

    let port: Int
    let requests = Atomic<Int>(0)
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.port = port
        self.channel = channel
        self.group = group
    }

    /// Starts on a free loopback port; `pieceSize` bytes per write (0: all at once).
    static func start(_ behaviour: Behaviour, pieceSize: Int = 0) async throws -> HostileServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let counter = Counter()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour, pieceSize: pieceSize, counter: counter))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = HostileServer(port: channel.localAddress!.port!, channel: channel, group: group)
        counter.server.withLock { $0 = server }
        return server
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    private final class Counter: Sendable {
        let server = Mutex<HostileServer?>(nil)
        func add() { _ = server.withLock { $0?.requests.add(1, ordering: .relaxed) } }
    }

    /// The bytes (and whether to close after them) for one request of `method`.
    static func script(_ behaviour: Behaviour, method: String) -> (bytes: [UInt8], close: Bool) {
        func text(_ string: String) -> [UInt8] { Array(string.utf8) }
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
        switch behaviour {
        case .valid:
            return (text(ok + "Server-Timing: app;dur=0.50, db;dur=0.20, pool;dur=0.01, dbq;desc=1\r\n\r\nok"), false)
        case .closeAfterResponse:
            return (text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"), true)
        case .hugeHeaders:
            let filler = (0..<520).map { "X-Filler-\($0): \(String(repeating: "a", count: 100))\r\n" }.joined()
            return (text(ok + filler + "\r\nok"), false)
        case .interimResponses:
            return (text("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + ok + "\r\nok"), false)
        case .chunked:
            return (text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;name=value\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer-Field: 1\r\n\r\n"), false)
        case .closeDelimited:
            return (text("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nthe body runs to the close"), true)
        case .headWithLength:
            return (text("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n" + (method == "HEAD" ? "" : String(repeating: "b", count: 1234))), false)
        case .sshBanner:
            return (text("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), false)
        case .absurdContentLength:
            return (text("HTTP/1.1 200 OK\r\nContent-Length: 999999999999999999999999999999\r\n\r\nok"), false)
        case .negativeContentLength:
            return (text("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nok"), false)
        case .negativeServerTiming:
            return (text(ok + "Server-Timing: app;dur=-5, db;dur=-1e9, pool;dur=-3, dbq;desc=-2\r\n\r\nok"), false)
        case .hugeServerTiming:
            return (text(ok + "Server-Timing: app;dur=1\(String(repeating: "0", count: 400)), dbq;desc=99999999999999999999999\r\n\r\nok"), false)
        case .nonNumericServerTiming:
            return (text(ok + "Server-Timing: app;dur=abc, db;dur=NaN, dbq;desc=inf\r\n\r\nok"), false)
        case .garbage:
            var generator = SystemRandomNumberGenerator()
            return ((0..<2048).map { _ in UInt8.random(in: 0...255, using: &generator) }, false)
        case .twoResponses:
            return (text(ok + "\r\nok" + ok + "\r\nok"), false)
        case .closeAtOnce:
            return ([], true)
        case .closeMidBody:
            return (text("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"), true)
        case .overflowingChunkSize:
            return (text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nx\r\n"), false)
        case .switchingProtocols:
            return (text("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), false)
        case .headBeyondLimit:
            let filler = (0..<12_000).map { "X-Filler-\($0): \(String(repeating: "a", count: 100))\r\n" }.joined()
            return (text(ok + filler + "\r\nok"), false)
        case .impossibleStatus:
            return (text("HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nok"), false)
        case .silence:
            return ([], false)
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        let pieceSize: Int
        let counter: Counter
        private var received: [UInt8] = []

        init(behaviour: Behaviour, pieceSize: Int, counter: Counter) {
            self.behaviour = behaviour
            self.pieceSize = pieceSize
            self.counter = counter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += unwrapInboundIn(data).readableBytesView
            // Requests have no body here: each head ends with an empty line.
            while let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self)
                received.removeSubrange(..<end.upperBound)
                counter.add()
                respond(method: String(head.prefix { $0 != " " }), context: context)
            }
        }

        private func respond(method: String, context: ChannelHandlerContext) {
            let (bytes, close) = HostileServer.script(behaviour, method: method)
            // At most 64 small pieces, then the rest at once: long scripts stay quick.
            let size = pieceSize > 0 ? pieceSize : max(bytes.count, 1)
            var pieces = stride(from: 0, to: min(bytes.count, size * 64), by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
            if size * 64 < bytes.count { pieces.append(Array(bytes[(size * 64)...])) }
            write(pieces[...], close: close, context: NIOLoopBound(context, eventLoop: context.eventLoop))
        }

        /// Writes the pieces one by one, a millisecond apart so that each leaves as its own segment.
        private func write(_ pieces: ArraySlice<[UInt8]>, close: Bool, context: NIOLoopBound<ChannelHandlerContext>) {
            guard let first = pieces.first else {
                if close { context.value.close(promise: nil) }
                return
            }
            context.value.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: first)), promise: nil)
            let rest = pieces.dropFirst()
            if rest.isEmpty {
                if close { context.value.close(promise: nil) }
                return
            }
            context.value.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(1)) {
                self.write(rest, close: close, context: context)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
