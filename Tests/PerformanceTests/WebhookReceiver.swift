import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local webhook receiver for alert tests: it keeps the body of every POST, and answers each
/// with 500 for its first `failFirst` requests, then 200; or (`silent`) never answers at all.
final class WebhookReceiver: Sendable {
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let state: State

    final class State: Sendable {
        let failFirst: Int
        let silent: Bool
        let received = Mutex<(requests: Int, bodies: [Data])>((0, []))

        init(failFirst: Int, silent: Bool) {
            self.failFirst = failFirst
            self.silent = silent
        }
    }

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup, state: State) {
        self.port = port
        self.channel = channel
        self.group = group
        self.state = state
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    /// The bodies of the requests answered 200, as JSON objects.
    var accepted: [[String: Any]] {
        state.received.withLock { received in
            received.bodies.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
    }

    var requests: Int { state.received.withLock { $0.requests } }

    static func start(failFirst: Int = 0, silent: Bool = false) async throws -> WebhookReceiver {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = State(failFirst: failFirst, silent: silent)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return WebhookReceiver(port: channel.localAddress!.port!, channel: channel, group: group, state: state)
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let state: State
        private var body = Data()

        init(state: State) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head:
                body = Data()
            case .body(var bytes):
                body.append(contentsOf: bytes.readBytes(length: bytes.readableBytes) ?? [])
            case .end:
                let request = body
                let number = state.received.withLock { received in
                    received.requests += 1
                    return received.requests
                }
                guard !state.silent else { return }
                let ok = number > state.failFirst
                if ok { state.received.withLock { $0.bodies.append(request) } }
                var head = HTTPResponseHead(version: .http1_1, status: ok ? .ok : .internalServerError)
                head.headers.add(name: "Content-Length", value: "0")
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
