import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// An HTTP/2 server for the engine's tests: h2c by prior knowledge, or h2 over TLS by ALPN. Every
/// stream is answered 200 with a `Server-Timing`, unless the server is told to send a GOAWAY after
/// some streams, or to reset every n-th stream.
final class HTTP2TestServer: Sendable {
    struct Behaviour: Sendable {
        /// Sends a GOAWAY once a connection has seen this many streams, and closes the connection
        /// then unless `drainAfterGoAway` (the streams under way are answered, the close left to the client).
        var goAwayAfter: Int?
        var drainAfterGoAway = false
        /// Resets every n-th stream (RST_STREAM) instead of answering it.
        var resetEvery: Int?
        /// Refuses every n-th stream with 429, `Retry-After: 2` and the IETF RateLimit headers.
        var refuseEvery: Int?
    }

    let port: Int
    private let channel: Mutex<(any Channel)?>
    private let group: MultiThreadedEventLoopGroup

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup, counters: Counters) {
        self.port = port
        self.channel = Mutex(channel)
        self.group = group
        self.counters = counters
    }

    private let counters: Counters

    final class Counters: Sendable {
        let streams = Atomic<Int>(0)
        let connections = Atomic<Int>(0)
    }

    var streamCount: Int { counters.streams.load(ordering: .relaxed) }
    var connectionCount: Int { counters.connections.load(ordering: .relaxed) }

    static func start(_ behaviour: Behaviour = Behaviour(), tls: NIOSSLContext? = nil) async throws -> HTTP2TestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let counters = Counters()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counters.connections.add(1, ordering: .relaxed)
                let perConnection = Atomic<Int>(0)
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .server, connectionConfiguration: .init(), streamConfiguration: .init()
                    ) { stream in
                        counters.streams.add(1, ordering: .relaxed)
                        let number = perConnection.add(1, ordering: .relaxed).newValue
                        return stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                            try stream.pipeline.syncOperations.addHandler(StreamHandler(number: number, behaviour: behaviour))
                        }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HTTP2TestServer(port: channel.localAddress!.port!, channel: channel, group: group, counters: counters)
    }

    func stop() async {
        let channel = self.channel.withLock { $0 }
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }

    private final class StreamHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let number: Int
        let behaviour: Behaviour

        init(number: Int, behaviour: Behaviour) {
            self.number = number
            self.behaviour = behaviour
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            if let every = behaviour.resetEvery, number % every == 0 {
                // Closing a stream before its end resets it (RST_STREAM, CANCEL).
                context.close(promise: nil)
                return
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "2")
            headers.add(name: "Server-Timing", value: "app;dur=0.50, db;dur=0.20, pool;dur=0.01, dbq;desc=1")
            var status = HTTPResponseStatus.ok
            if let every = behaviour.refuseEvery, number % every == 0 {
                status = .tooManyRequests
                headers.add(name: "Retry-After", value: "2")
                headers.add(name: "RateLimit-Policy", value: "\"test\";q=10;w=1")
                headers.add(name: "RateLimit", value: "\"test\";r=0;t=2")
            }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http2, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if let after = behaviour.goAwayAfter, number == after, let parent = context.channel.parent {
                // The last stream it will process is this one: later ones are the client's to send again.
                let last = (try? context.channel.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID)) ?? .maxID
                let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: last, errorCode: .noError, opaqueData: nil))
                let drain = behaviour.drainAfterGoAway
                parent.writeAndFlush(goAway).whenComplete { _ in if !drain { parent.close(promise: nil) } }
            }
        }
    }
}
