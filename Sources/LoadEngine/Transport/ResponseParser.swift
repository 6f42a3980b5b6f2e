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
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    private var state = State.head
    private var response = ParsedResponse(status: 0, serverTiming: nil, keepAlive: true, bodyBytes: 0)
    private var contentLength: Int?
    private var chunked = false
    private var http10 = false
    private var sawKeepAlive = false
    /// Longest status line or header the parser accepts.
    static let maximumLineLength = 16 * 1024

    /// True when no response is in progress.
    var isIdle: Bool { state == .head }

    /// Consumes bytes from `buffer` and returns a response once it is complete; the bytes after it
    /// stay in `buffer`. Returns nil when more bytes are needed (what was read is kept).
    mutating func parse(_ buffer: inout ByteBuffer) throws -> ParsedResponse? {
        while true {
            switch state {
            case .head:
                guard try parseHead(&buffer) else { return nil }
                if let done = startBody() { return done }
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
        state = .head
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

    /// Reads the status line and headers in one pass over the bytes, once they have all arrived;
    /// returns false (consuming nothing) until then.
    private mutating func parseHead(_ buffer: inout ByteBuffer) throws -> Bool {
        let consumed = try buffer.withUnsafeReadableBytes { bytes -> Int? in
            var start = 0
            // Tolerate stray CRLFs between responses.
            while start < bytes.count, bytes[start] == UInt8(ascii: "\r") || bytes[start] == UInt8(ascii: "\n") { start += 1 }
            var lineStart = start
            var sawStatus = false
            var index = start
            while index < bytes.count {
                guard bytes[index] == UInt8(ascii: "\n") else {
                    index += 1
                    continue
                }
                let lineEnd = index > lineStart && bytes[index - 1] == UInt8(ascii: "\r") ? index - 1 : index
                if lineEnd == lineStart {
                    guard sawStatus else { throw Failure.malformed("empty status line") }
                    return index + 1
                }
                if sawStatus {
                    parseHeader(bytes, lineStart, lineEnd)
                } else {
                    try parseStatusLine(bytes, lineStart, lineEnd)
                    sawStatus = true
                }
                index += 1
                lineStart = index
            }
            if bytes.count - lineStart > Self.maximumLineLength {
                throw Failure.malformed("line longer than \(Self.maximumLineLength) bytes")
            }
            if bytes.count - start > Self.maximumLineLength * 4 { throw Failure.malformed("response head longer than \(Self.maximumLineLength * 4) bytes") }
            return nil
        }
        guard let consumed else {
            // Not all there yet: the partial head is parsed again from its start when more arrives.
            response = ParsedResponse(status: 0, serverTiming: nil, keepAlive: true, bodyBytes: 0)
            contentLength = nil
            chunked = false
            http10 = false
            sawKeepAlive = false
            return false
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        return true
    }

    private mutating func parseStatusLine(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws {
        // HTTP/1.1 200 OK
        guard end - start >= 12, Self.matches(bytes, start, "HTTP/1."), bytes[start + 8] == UInt8(ascii: " ") else {
            throw Failure.malformed("bad status line")
        }
        http10 = bytes[start + 7] == UInt8(ascii: "0")
        var status = 0
        for index in start + 9..<start + 12 {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw Failure.malformed("bad status code") }
            status = status * 10 + Int(byte - UInt8(ascii: "0"))
        }
        response.status = status
    }

    private mutating func parseHeader(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) {
        var colon = start
        while colon < end, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < end else { return }
        var valueStart = colon + 1
        while valueStart < end, bytes[valueStart] == UInt8(ascii: " ") || bytes[valueStart] == UInt8(ascii: "\t") { valueStart += 1 }
        let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<end])
        switch colon - start {
        case 14 where Self.equalsIgnoringCase(bytes, start, "content-length"):
            var length = 0
            for byte in value where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                length = length * 10 + Int(byte - UInt8(ascii: "0"))
            }
            contentLength = length
        case 17 where Self.equalsIgnoringCase(bytes, start, "transfer-encoding"):
            chunked = Self.containsIgnoringCase(value, "chunked")
        case 10 where Self.equalsIgnoringCase(bytes, start, "connection"):
            if Self.containsIgnoringCase(value, "close") { response.keepAlive = false }
            if Self.containsIgnoringCase(value, "keep-alive") { sawKeepAlive = true }
        case 13 where Self.equalsIgnoringCase(bytes, start, "server-timing"):
            response.serverTiming = ServerTiming(utf8: value)
        default:
            break
        }
    }

    static func matches(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ expected: StaticString) -> Bool {
        expected.withUTF8Buffer { want in
            for offset in 0..<want.count where bytes[start + offset] != want[offset] { return false }
            return true
        }
    }

    /// Compares with a lowercase name; `| 0x20` lowercases ASCII letters and keeps `-` as it is.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { want in
            for offset in 0..<want.count where bytes[start + offset] | 0x20 != want[offset] { return false }
            return true
        }
    }

    static func containsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { want in
            guard bytes.count >= want.count else { return false }
            outer: for start in 0...(bytes.count - want.count) {
                for offset in 0..<want.count where bytes[start + offset] | 0x20 != want[offset] { continue outer }
                return true
            }
            return false
        }
    }
}
