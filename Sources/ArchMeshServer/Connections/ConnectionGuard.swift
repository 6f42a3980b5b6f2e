import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Observability

/// First in every connection's pipeline, on raw bytes: admits the connection under the limit (or
/// answers 503), notes when a request's first bytes arrive, and answers 408 when the registry's
/// sweeper says the request is too slow.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The sweeper's word that this connection's request is past its deadline.
    struct RequestTimedOut: Sendable {}

    private let registry: ConnectionRegistry
    private var state: ConnectionState?

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let state = ConnectionState(channel: context.channel, now: MonotonicClock.nanoseconds())
        switch registry.admit(state) {
        case .admitted:
            self.state = state
        case .admittedEvicting(let idlest):
            self.state = state
            idlest.channel.close(promise: nil)
        case .refused:
            answerAndClose(context: context, status: "503 Service Unavailable", extra: "Retry-After: 1\r\n")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let state, state.phase == .idle { state.enter(.readingHead, now: MonotonicClock.nanoseconds()) }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        registry.remove(context.channel)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is RequestTimedOut else { return context.fireUserInboundEventTriggered(event) }
        answerAndClose(context: context, status: "408 Request Timeout", extra: "")
    }

    /// A bodiless answer written below the HTTP encoder, then the close.
    private func answerAndClose(context: ChannelHandlerContext, status: String, extra: String) {
        let bytes = "HTTP/1.1 \(status)\r\nConnection: close\r\n\(extra)Content-Length: 0\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: bytes))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// After the HTTP decoder: moves the connection's state through a request (head, whole request,
/// answer sent), so that the sweeper knows which deadline applies.
final class RequestPhaseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let registry: ConnectionRegistry
    private var state: ConnectionState?

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        state = registry.state(of: context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let state {
            switch unwrapInboundIn(data) {
            case .head: state.enter(.readingBody, now: MonotonicClock.nanoseconds())
            case .body: break
            case .end: state.enter(.answering, now: MonotonicClock.nanoseconds())
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if let state, case .end = unwrapOutboundIn(data) { state.enter(.idle, now: MonotonicClock.nanoseconds()) }
        context.write(data, promise: promise)
    }
}
