#if os(Linux)
import CSocketEvents
import Glibc
import NIOCore

/// One plain TCP connection of a virtual user on a `SocketEventLoop`: a non-blocking socket whose
/// bytes are read into the loop's one read buffer and parsed there by the user (a response that
/// arrives in parts is kept by the connection until it is whole), and whose requests are written
/// with one `send` each. It tells its user what SwiftNIO's
/// `ConnectionHandler` tells it (connected, bytes, closed, failed), on the loop, and nothing once
/// the user has let go of it (`close`).
final class SocketConnection {
    private enum State { case connecting, open, closed }

    private let fd: Int32
    private let loop: SocketEventLoop
    /// Weak: the loop keeps a registered connection; its user may be gone when the run is over.
    private weak var user: VirtualUser?
    private let generation: Int
    private var state = State.connecting
    /// Bytes of a request the socket did not take at once; written when it is writable again.
    private var unsent: ByteBuffer?
    /// The start of a response that has not arrived whole; nil between responses, so that an idle
    /// connection holds no buffer.
    private var held: ByteBuffer?
    private var connectTimer: UInt64?
    /// True while the loop watches for room to write (a request is partly sent).
    private var watchingWritable = false

    /// Least room in a held buffer before a read.
    private static let readSize = 16 * 1024
    /// Consumed bytes are dropped from a held buffer's front once this many have piled up.
    private static let compactAfter = 64 * 1024

    /// Opens a connection to `address`; the user hears `socketConnected` (with an error if it failed).
    init(to address: SocketAddress, on loop: SocketEventLoop, timeout: TimeAmount, user: VirtualUser, generation: Int) {
        self.loop = loop
        self.user = user
        self.generation = generation
        fd = socket(Int32(address.protocol.rawValue), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            failConnect(IOError(errnoCode: errno, reason: "socket"))
            return
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockAddr { pointer, length in Glibc.connect(fd, pointer, socklen_t(length)) }
        let code = result == 0 ? 0 : errno
        guard code == 0 || code == EINPROGRESS else {
            failConnect(IOError(errnoCode: code, reason: "connect"))
            return
        }
        // Connected at once or not, the user hears of it from the loop (`finishConnect`), and only
        // then is the socket read: bytes a server sends first (a banner) find the user connected.
        if let failure = watch(EPOLLOUT.rawValue) {
            failConnect(failure)
            return
        }
        let deadline = EngineClock.now() &+ UInt64(max(0, timeout.nanoseconds))
        connectTimer = loop.at(deadline) { [self] in
            connectTimer = nil
            guard state == .connecting else { return }
            shut()
            tellConnected(ChannelError.connectTimeout(timeout))
        }
    }

    /// Writes a request; a failure is told to the user before this returns, as SwiftNIO's
    /// `writeAndFlush` tells it (the user's `writing` flag then says it was a write).
    func write(_ bytes: ByteBuffer) {
        guard state == .open else { return }
        if unsent != nil {
            unsent!.writeImmutableBuffer(bytes)
            return
        }
        var rest = bytes
        flush(&rest)
    }

    /// The user lets go (or the loop shuts down): the socket is closed and nothing more is told.
    func close() {
        user = nil
        shut()
    }

    // MARK: Events from the loop

    func handle(events: UInt32) {
        if state == .connecting { return finishConnect() }
        if events & EPOLLOUT.rawValue != 0, var rest = unsent {
            unsent = nil
            flush(&rest)
        }
        if events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { readAvailable() }
    }

    private func finishConnect() {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { code = errno }
        if code == EINPROGRESS || code == EALREADY { return }
        if let connectTimer { loop.cancelTimer(connectTimer) }
        connectTimer = nil
        guard code == 0 else {
            shut()
            return tellConnected(IOError(errnoCode: code, reason: "connect"))
        }
        state = .open
        loop.modify(fd: fd, events: EPOLLIN.rawValue)
        tellConnected(nil)
    }

    private func readAvailable() {
        while state == .open {
            let (count, code, room) = held == nil ? readInto(&loop.readBuffer) : readInto(&held!)
            if count > 0 {
                if held == nil {
                    user?.received(in: &loop.readBuffer, generation: generation)
                    // What the user left is the start of a response: it moves out of the loop's buffer.
                    if loop.readBuffer.readableBytes > 0 && state == .open {
                        var start = ByteBufferAllocator().buffer(capacity: max(loop.readBuffer.readableBytes, Self.readSize))
                        start.writeImmutableBuffer(loop.readBuffer)
                        held = start
                    }
                    loop.readBuffer.clear()
                } else {
                    user?.received(in: &held!, generation: generation)
                    if held?.readableBytes == 0 || state != .open {
                        held = nil
                    } else if let start = held?.readerIndex, start >= Self.compactAfter {
                        held!.discardReadBytes()
                    }
                }
                if count < room { return }  // the socket had no more; the next event says when it has
                continue
            }
            if count == 0 && code == 0 {
                shut()
                user?.connectionClosed(generation: generation)
                return
            }
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return }
            return fail(IOError(errnoCode: code, reason: "read"))
        }
    }

    /// One `read` into `buffer`'s free space: the bytes read, the error number (0 when none), and
    /// how much room there was.
    private func readInto(_ buffer: inout ByteBuffer) -> (count: Int, code: Int32, room: Int) {
        var code: Int32 = 0
        var room = 0
        let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.readSize) { space in
            room = space.count
            let count = read(fd, space.baseAddress, space.count)
            if count < 0 { code = errno }
            return max(count, 0)
        }
        return (count, code, room)
    }

    /// Sends what it can of `bytes` now; the rest waits for the socket to be writable.
    private func flush(_ bytes: inout ByteBuffer) {
        while bytes.readableBytes > 0 {
            let sent = bytes.withUnsafeReadableBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent >= 0 {
                bytes.moveReaderIndex(forwardBy: sent)
                continue
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK {
                unsent = bytes
                if !watchingWritable { loop.modify(fd: fd, events: EPOLLIN.rawValue | EPOLLOUT.rawValue) }
                watchingWritable = true
                return
            }
            return fail(IOError(errnoCode: code, reason: "write"))
        }
        if watchingWritable { loop.modify(fd: fd, events: EPOLLIN.rawValue) }
        watchingWritable = false
    }

    // MARK: Endings

    /// The connection broke: the user hears the error, then the close, as from SwiftNIO.
    private func fail(_ error: IOError) {
        shut()
        user?.connectionFailed(error, generation: generation)
        user?.connectionClosed(generation: generation)
    }

    private func failConnect(_ error: IOError) {
        shut()
        loop.soon { [self] in tellConnected(error) }
    }

    private func tellConnected(_ error: (any Error)?) {
        user?.socketConnected(self, error: error, generation: generation)
    }

    /// Registers the socket with the loop; the error if it could not be.
    private func watch(_ events: UInt32) -> IOError? {
        let code = loop.register(self, fd: fd, events: events)
        return code == 0 ? nil : IOError(errnoCode: code, reason: "epoll_ctl")
    }

    private func shut() {
        guard state != .closed else { return }
        state = .closed
        if let connectTimer { loop.cancelTimer(connectTimer) }
        connectTimer = nil
        unsent = nil
        // `held` is left alone: this may run inside the user's reading of it; it goes with the connection.
        guard fd >= 0 else { return }
        loop.deregister(fd: fd)
        Glibc.close(fd)
    }
}
#endif
