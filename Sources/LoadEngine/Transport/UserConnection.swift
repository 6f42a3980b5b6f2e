import NIOCore

/// The connection a virtual user sends on: a SwiftNIO channel (HTTPS, and everywhere but Linux), or
/// a socket of the engine's own loop (plain HTTP/1.1 on Linux).
enum UserConnection {
    case channel(any Channel)
    #if os(Linux)
    case socket(SocketConnection)
    #endif

    func write(_ bytes: ByteBuffer) {
        switch self {
        case .channel(let channel): channel.writeAndFlush(bytes, promise: nil)
        #if os(Linux)
        case .socket(let socket): socket.write(bytes)
        #endif
        }
    }

    func close() {
        switch self {
        case .channel(let channel): channel.close(promise: nil)
        #if os(Linux)
        case .socket(let socket): socket.close()
        #endif
        }
    }
}
