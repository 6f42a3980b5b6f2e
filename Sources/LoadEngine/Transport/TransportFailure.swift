#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import NIOSSL

/// Network failures told apart by their types and error numbers, never by their messages.
enum TransportFailure {
    /// The kind a broken connection's error counts as; `duringWrite` when it broke inside the
    /// engine's own write.
    static func kind(of error: any Error, duringWrite: Bool) -> ErrorKind {
        if isTLS(error) { return .tls }
        if duringWrite { return .write }
        if let error = error as? IOError, error.errnoCode == EPIPE { return .write }
        if let error = error as? ChannelError {
            switch error {
            case .ioOnClosedChannel, .outputClosed: return .write
            default: return .read
            }
        }
        return .read
    }

    /// True for the TLS library's errors: a handshake that failed, or an alert the server sent
    /// later (with TLS 1.3 a server refuses a client's certificate after the client's handshake is done).
    static func isTLS(_ error: any Error) -> Bool {
        error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError
    }

    /// True for HTTP/2 errors of the peer's frames (malformed, oversized, bad header blocks, not
    /// HTTP/2 at all); not for a stream the server reset, which is its answer, not a broken protocol.
    static func isHTTP2Protocol(_ error: any Error) -> Bool {
        error is HTTP2ProtocolError
    }

    /// Why a connection could not be made, in a user's words.
    static func connectReason(_ error: any Error) -> String {
        if let error = error as? StatedFailure { return error.reason }
        if let error = error as? ChannelError, case .connectTimeout(let limit) = error {
            return "no answer within the connect timeout (\(limit.nanoseconds / 1_000_000) ms)"
        }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return connectReason(first.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "the host name could not be resolved" }
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ENETUNREACH, EHOSTUNREACH: return "no route to the host"
            case ETIMEDOUT: return "the connection timed out"
            case EMFILE, ENFILE: return "out of file descriptors (raise the limit with ulimit -n)"
            case EADDRNOTAVAIL: return "no local port free for another connection"
            default: return "\(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))"
            }
        }
        return String(describing: error)
    }
}


/// A connection failure already put in a user's words (a failed TLS handshake, an HTTP/2
/// connection's failure told to its users).
struct StatedFailure: Error {
    var reason: String
}
