import NIOCore
import NIOHTTP1
import NIOPosix
import TestSupport

/// A server of known capacity: it answers one request at a time, each after exactly `service`, so
/// it finishes at most 1 / `service` requests per second however many arrive (the arrivals queue,
/// as at a single worker). What a capacity search must find, and never exceed.
final class SerialServer: Sendable {
    let port: Int
    let service: TimeAmount
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    private init(port: Int, service: TimeAmount, channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.port = port
        self.service = service
        self.channel = channel
        self.group = group
    }

    /// Requests per second it can finish.
    var capacity: Double { 1e9 / Double(service.nanoseconds) }

    var url: String { "http://127.0.0.1:\(port)/work" }

    static func with<T>(service: TimeAmount, _ body: (SerialServer) async throws -> T) async throws -> T {
        try await withStarted({ try await start(service: service) }, stop: { await $0.stop() }, body)
    }

    static func start(service: TimeAmount) async throws -> SerialServer {
        // One loop: every connection's requests share the one worker, and its state needs no lock.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let worker = Worker(service: service)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(worker: worker))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return SerialServer(port: channel.localAddress!.port!, service: service, channel: channel, group: group)
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// The one worker: when it is free next. Touched only on the server's single loop.
    private final class Worker: @unchecked Sendable {
        let service: TimeAmount
        var freeAt = NIODeadline.uptimeNanoseconds(0)

        init(service: TimeAmount) {
            self.service = service
        }

        /// The moment the request arriving now is done: after every request before it.
        func take() -> NIODeadline {
            freeAt = max(freeAt, .now()) + service
            return freeAt
        }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let worker: Worker

        init(worker: Worker) {
            self.worker = worker
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(deadline: worker.take()) {
                let (handler, context) = loopBound.value
                var head = HTTPResponseHead(version: .http1_1, status: .ok)
                head.headers.add(name: "Content-Length", value: "4")
                context.write(handler.wrapOutboundOut(.head(head)), promise: nil)
                context.write(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "done")))), promise: nil)
                context.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
