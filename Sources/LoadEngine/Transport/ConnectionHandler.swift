import NIOCore
import NIOSSL
import NIOTLS

/// The one handler in a connection's pipeline: it hands the user the bytes, the close and the
/// errors of its connection, and nothing of a connection the user has already given up on.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// Weak: a connection's close can arrive after the run is over and its users are gone.
    private weak var user: VirtualUser?
    private let generation: Int

    init(user: VirtualUser, generation: Int) {
        self.user = user
        self.generation = generation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        user?.received(unwrapInboundIn(data), generation: generation)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { user?.handshakeCompleted(generation: generation) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        user?.connectionClosed(generation: generation)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A TLS peer that closes without close_notify (many do, on an idle keep-alive connection)
        // has closed the connection, no more: the close that follows says so.
        if let error = error as? NIOSSLError, case .uncleanShutdown = error { return }
        user?.connectionFailed(error, generation: generation)
        context.close(promise: nil)
    }
}
