#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A plain blocking TCP connection to a test server, for clients that misbehave on purpose: slow
/// heads, unfinished bodies, or just sitting there.
final class RawConnection {
    private var descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RawConnectionError(message: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(descriptor)
            throw RawConnectionError(message: "connect: errno \(errno)")
        }
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    func send(_ text: String) {
        _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    /// Everything received until the server closes the connection or `timeout` passes; `closed`
    /// says which.
    func receive(timeout: Duration) async -> (text: String, closed: Bool) {
        await receive(timeout: timeout) { _ in false }
    }

    /// One whole response (its head and as many body bytes as its Content-Length says), or what
    /// came before the server closed or `timeout` passed. It returns as soon as the response is
    /// whole, so a test that goes on to measure time after it starts from the answer, not from a
    /// guess at how long the answer takes on a loaded machine.
    func receiveResponse(timeout: Duration) async -> (text: String, closed: Bool) {
        await receive(timeout: timeout, until: Self.isWhole)
    }

    /// It polls without blocking and sleeps between polls: a blocked thread of the cooperative
    /// pool (two on two cores) would starve the server under test.
    private func receive(timeout: Duration, until done: ([UInt8]) -> Bool) async -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline, !done(bytes) {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 0) > 0 else {
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return (String(decoding: bytes, as: UTF8.self), true) }
            bytes += buffer[0..<count]
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }

    fileprivate static func isWhole(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        let length = head.split(separator: "\r\n")
            .first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return text.utf8.count - text[..<end.upperBound].utf8.count >= length
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}

extension RawConnection {
    enum Method: String { case get = "GET", post = "POST" }

    /// A response's status and body.
    struct Answer: Sendable {
        var status: Int
        var body: String
    }

    /// One request on a connection of its own, and its whole answer; a connection closed or silent
    /// before a whole answer is an error naming what did come.
    static func exchange(port: Int, _ method: Method, _ path: String, json: String? = nil, timeout: Duration) async throws -> Answer {
        let connection = try RawConnection(port: port)
        defer { connection.close() }
        var head = "\(method.rawValue) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let json { head += "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n" }
        connection.send(head + "\r\n" + (json ?? ""))
        let (text, _) = await connection.receiveResponse(timeout: timeout)
        guard isWhole(Array(text.utf8)), let end = text.range(of: "\r\n\r\n"),
            let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap({ Int($0) })
        else { throw RawConnectionError(message: "\(method.rawValue) \(path): no whole answer within \(timeout): \(text.prefix(200))") }
        return Answer(status: status, body: String(text[end.upperBound...]))
    }
}

struct RawConnectionError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
