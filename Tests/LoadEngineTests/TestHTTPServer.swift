import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import TestSupport

/// A small HTTP server for the load engine's own tests; no database, one behaviour per path:
/// `/ok` (with Server-Timing), `/plain`, `/sleep/<ms>`, `/status/<code>`, `/close`, `/chunked`,
/// `/hang`, `/drop`, `/stall/<after requests>/<ms>` (the whole server stops answering for
/// `ms` once, after that many requests, like a GC pause), and `/die/<after requests>/<ms>` (each
/// request answered after `ms`, until the server dies at that request: it stops listening and
/// closes every connection, whatever the test's own scheduling).
final class TestHTTPServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    let state: SharedState

    final class SharedState: Sendable {
        let requests = Atomic<Int>(0)
        let requestIDs = Mutex<[String]>([])
        let stallUntil = Mutex<UInt64>(0)
        let stalled = Atomic<Bool>(false)
        /// For `/die`: the listening channel and every connection, and whether it died.
        let listener = Mutex<(any Channel)?>(nil)
        let connections = Mutex<[any Channel]>([])
        let died = Atomic<Bool>(false)

        func die() {
            guard !died.exchange(true, ordering: .relaxed) else { return }
            listener.withLock { $0?.close(promise: nil) }
            for connection in connections.withLock({ $0 }) { connection.close(promise: nil) }
        }
    }

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup, state: SharedState) {
        self.port = port
        self.channel = channel
        self.group = group
        self.state = state
    }

    /// A server on a free loopback port; over TLS with `tls`.
    static func start(tls: NIOSSLContext? = nil) async throws -> TestHTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = SharedState()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.connections.withLock { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        state.listener.withLock { $0 = channel }
        return TestHTTPServer(port: channel.localAddress!.port!, channel: channel, group: group, state: state)
    }

    /// Runs `body` against a new server (over TLS with `tls`), stopped afterwards whatever happens.
    static func with<T>(tls: NIOSSLContext? = nil, _ body: (TestHTTPServer) async throws -> T) async throws -> T {
        try await withStarted({ try await start(tls: tls) }, stop: { await $0.stop() }, body)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Returns once the server has seen `count` requests (a minute at most): tests act on the run's
    /// progress, not on a guess at how long it takes on a loaded machine.
    func waitForRequests(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while state.requests.load(ordering: .relaxed) < count {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let state: SharedState
        private var path = ""

        init(state: SharedState) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                path = head.uri
                state.requests.add(1, ordering: .relaxed)
                if let id = head.headers.first(name: "X-Request-ID") { state.requestIDs.withLock { $0.append(id) } }
            case .body:
                break
            case .end:
                respond(context: context)
            }
        }

        private func respond(context: ChannelHandlerContext) {
            let parts = path.split(separator: "/").map(String.init)
            let now = DispatchTime.now().uptimeNanoseconds
            if parts.first == "stall", parts.count == 3, let after = Int(parts[1]), let ms = UInt64(parts[2]) {
                if state.requests.load(ordering: .relaxed) >= after, !state.stalled.exchange(true, ordering: .relaxed) {
                    state.stallUntil.withLock { $0 = now + ms * 1_000_000 }
                }
            }
            let stallUntil = state.stallUntil.withLock { $0 }
            if stallUntil > now {
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .nanoseconds(Int64(stallUntil - now))) {
                    let (handler, context) = loopBound.value
                    handler.answer(parts, context: context)
                }
                return
            }
            answer(parts, context: context)
        }

        private func answer(_ parts: [String], context: ChannelHandlerContext) {
            switch parts.first {
            case "die":
                if parts.count == 3, let after = Int(parts[1]), state.requests.load(ordering: .relaxed) >= after {
                    return state.die()
                }
                let ms = Int64(parts.count == 3 ? parts[2] : "") ?? 5
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(ms)) {
                    let (handler, context) = loopBound.value
                    handler.write(context: context, status: .ok, body: "alive")
                }
            case "sleep":
                let ms = Int64(parts.dropFirst().first ?? "") ?? 10
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(ms)) {
                    let (handler, context) = loopBound.value
                    handler.write(context: context, status: .ok, body: "slept")
                }
            case "status":
                write(context: context, status: HTTPResponseStatus(statusCode: Int(parts.dropFirst().first ?? "") ?? 500), body: "status")
            case "close":
                write(context: context, status: .ok, body: "bye", close: true)
            case "chunked":
                var head = HTTPResponseHead(version: .http1_1, status: .ok)
                head.headers.add(name: "Transfer-Encoding", value: "chunked")
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "part one ")))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "part two")))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case "hang":
                break
            case "drop":
                context.close(promise: nil)
            case "plain":
                write(context: context, status: .ok, body: "plain")
            default:
                write(context: context, status: .ok, body: "ok", serverTiming: "app;dur=0.50, db;dur=0.20, pool;dur=0.01, dbq;desc=1")
            }
        }

        private func write(context: ChannelHandlerContext, status: HTTPResponseStatus, body: String, serverTiming: String? = nil, close: Bool = false) {
            var head = HTTPResponseHead(version: .http1_1, status: status)
            head.headers.add(name: "Content-Length", value: String(body.utf8.count))
            if let serverTiming { head.headers.add(name: "Server-Timing", value: serverTiming) }
            if close { head.headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if close {
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                done.whenComplete { _ in loopBound.value.close(promise: nil) }
            }
        }
    }
}
