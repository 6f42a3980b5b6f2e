import NIOCore
import Observability

/// What the engine keeps of one HTTP response.
struct ParsedResponse: Equatable {
    var status: Int
    var serverTiming: ServerTiming?
    /// False when the server said `Connection: close` (or spoke HTTP/1.0 without keep-alive).
    var keepAlive: Bool
    var bodyBytes: Int
}

/// An incremental HTTP/1.1 response parser that reads only what the engine needs (status,
/// framing, keep-alive, `Server-Timing`) straight from the received bytes.
///
/// NIOHTTP1's decoder builds a header dictionary of Strings for every response; on two cores
/// shared with the server under test, those allocations cost throughput the server would
/// otherwise get, so responses are read here without them.
struct ResponseParser {
    enum Failure: Error, Equatable {
        case malformed(String)
    }

    private enum State: Equatable {
        case statusLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    private var state = State.statusLine
    private var response = ParsedResponse(status: 0, serverTiming: nil, keepAlive: true, bodyBytes: 0)
    private var contentLength: Int?
    private var chunked = false
    private var http10 = false
    private var sawKeepAlive = false
    /// Longest status line or header the parser accepts.
    static let maximumLineLength = 16 * 1024

    /// True when no response is in progress.
    var isIdle: Bool { state == .statusLine }

    /// Consumes bytes from `buffer` and returns a response once it is complete; the bytes after it
    /// stay in `buffer`. Returns nil when more bytes are needed (what was read is kept).
    mutating func parse(_ buffer: inout ByteBuffer) throws -> ParsedResponse? {
        while true {
            switch state {
            case .statusLine:
                guard let line = try readLine(&buffer) else { return nil }
                if line.isEmpty { continue }  // tolerate a stray CRLF between responses
                try parseStatusLine(line)
                state = .headers
            case .headers:
                guard let line = try readLine(&buffer) else { return nil }
                if line.isEmpty {
                    if let done = startBody() { return done }
                } else {
                    parseHeader(line)
                }
            case .fixedBody(let remaining):
                let take = min(remaining, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: take)
                response.bodyBytes += take
                if take == remaining { return finish() }
                state = .fixedBody(remaining: remaining - take)
                return nil
            case .chunkSize:
                guard let line = try readLine(&buffer) else { return nil }
                let hexDigits = line.prefix { $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: " ") }
                guard let size = Int(String(decoding: hexDigits, as: UTF8.self), radix: 16), size >= 0 else {
                    throw Failure.malformed("bad chunk size")
                }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let take = min(remaining, buffer.readableBytes)
                buffer.moveReaderIndex(forwardBy: take)
                response.bodyBytes += take
                if take < remaining {
                    state = .chunkData(remaining: remaining - take)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard let line = try readLine(&buffer) else { return nil }
                guard line.isEmpty else { throw Failure.malformed("chunk not followed by CRLF") }
                state = .chunkSize
            case .trailers:
                guard let line = try readLine(&buffer) else { return nil }
                if line.isEmpty { return finish() }
            case .untilClose:
                response.bodyBytes += buffer.readableBytes
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                return nil
            }
        }
    }

    /// Called when the connection closes: completes a response delimited by the close, if any.
    mutating func connectionClosed() -> ParsedResponse? {
        guard state == .untilClose else { return nil }
        return finish()
    }

    private mutating func startBody() -> ParsedResponse? {
        let bodiless = response.status < 200 || response.status == 204 || response.status == 304
        if bodiless {
            return finish()
        } else if chunked {
            state = .chunkSize
        } else if let contentLength {
            if contentLength == 0 { return finish() }
            state = .fixedBody(remaining: contentLength)
        } else {
            response.keepAlive = false
            state = .untilClose
        }
        return nil
    }

    private mutating func finish() -> ParsedResponse {
        var done = response
        if http10 && !sawKeepAlive { done.keepAlive = false }
        state = .statusLine
        response = ParsedResponse(status: 0, serverTiming: nil, keepAlive: true, bodyBytes: 0)
        contentLength = nil
        chunked = false
        http10 = false
        sawKeepAlive = false
        return done
    }

    /// The next line without its CRLF, or nil when the buffer holds no complete line yet.
    private func readLine(_ buffer: inout ByteBuffer) throws -> ByteBufferView? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > Self.maximumLineLength { throw Failure.malformed("line longer than \(Self.maximumLineLength) bytes") }
            return nil
        }
        var end = newline
        if end > view.startIndex, view[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = view[view.startIndex..<end]
        buffer.moveReaderIndex(to: newline + 1)
        return line
    }

    private mutating func parseStatusLine(_ line: ByteBufferView) throws {
        // HTTP/1.1 200 OK
        let bytes = Array(line)
        guard bytes.count >= 12, bytes.starts(with: Array("HTTP/1.".utf8)), bytes[8] == UInt8(ascii: " ") else {
            throw Failure.malformed("bad status line")
        }
        http10 = bytes[7] == UInt8(ascii: "0")
        var status = 0
        for byte in bytes[9..<12] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw Failure.malformed("bad status code") }
            status = status * 10 + Int(byte - UInt8(ascii: "0"))
        }
        response.status = status
    }

    private mutating func parseHeader(_ line: ByteBufferView) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = line[line.startIndex..<colon]
        var valueStart = colon + 1
        while valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") || line[valueStart] == UInt8(ascii: "\t") {
            valueStart += 1
        }
        let value = line[valueStart..<line.endIndex]
        switch name.count {
        case 14 where Self.equalsIgnoringCase(name, "content-length"):
            var length = 0
            for byte in value where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                length = length * 10 + Int(byte - UInt8(ascii: "0"))
            }
            contentLength = length
        case 17 where Self.equalsIgnoringCase(name, "transfer-encoding"):
            chunked = Self.containsIgnoringCase(value, "chunked")
        case 10 where Self.equalsIgnoringCase(name, "connection"):
            if Self.containsIgnoringCase(value, "close") { response.keepAlive = false }
            if Self.containsIgnoringCase(value, "keep-alive") { sawKeepAlive = true }
        case 13 where Self.equalsIgnoringCase(name, "server-timing"):
            response.serverTiming = ServerTiming(headerValue: String(decoding: value, as: UTF8.self))
        default:
            break
        }
    }

    static func equalsIgnoringCase(_ bytes: ByteBufferView, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { expected in
            guard expected.count == bytes.count else { return false }
            for (byte, want) in zip(bytes, expected) where byte | 0x20 != want {
                return false
            }
            return true
        }
    }

    static func containsIgnoringCase(_ bytes: ByteBufferView, _ lowercase: StaticString) -> Bool {
        let lowered = bytes.map { $0 | 0x20 }
        return lowercase.withUTF8Buffer { expected in
            lowered.firstRange(of: Array(expected)) != nil
        }
    }
}
