#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Observability

/// What the engine keeps of one HTTP response.
struct ParsedResponse: Equatable {
    var status: Int
    var serverTiming: ServerTiming?
    /// True when a `Server-Timing` header was there but its figures could not be believed (negative,
    /// not a number, absurdly large): the response counts, its server figures do not.
    var serverTimingRejected = false
    /// False when the server said `Connection: close` (or spoke HTTP/1.0 without keep-alive).
    var keepAlive: Bool
    var bodyBytes: Int
    /// `Retry-After` and the IETF `RateLimit` headers, when the response had any.
    var rateLimit = RateLimitSignals()
    /// A journey step's extraction: the body (up to `CompiledJourney.largestBody`; nil beyond, or
    /// when not asked for) and the asked headers' values, in the order asked (nil: absent).
    var body: [UInt8]?
    var headerValues: [[UInt8]?] = []

    static let empty = ParsedResponse(status: 0, serverTiming: nil, keepAlive: true, bodyBytes: 0)

    /// Takes a `Server-Timing` header's value (HTTP/1.1 or HTTP/2): figures that cannot be true
    /// reject the whole header.
    mutating func readServerTiming(_ value: UnsafeRawBufferPointer) {
        switch ServerTiming.parse(utf8: value) {
        case .absent: break
        case .valid(let timing): serverTiming = timing
        case .rejected:
            serverTiming = nil
            serverTimingRejected = true
        }
    }

    /// HTTP/2: one header of a decoded block (HTTP/2 names are lowercase), kept when the engine reads it.
    mutating func readHeader(lowercaseName name: String, _ value: UnsafeRawBufferPointer) {
        switch name {
        case "server-timing": readServerTiming(value)
        case "retry-after": rateLimit.readRetryAfter(value)
        case "ratelimit": rateLimit.readRateLimit(value)
        case "ratelimit-policy": rateLimit.policyPresent = true
        default: break
        }
    }
}

/// An incremental HTTP/1.1 (and 1.0) response parser that reads only what the engine needs
/// (status, framing, keep-alive, `Server-Timing`) straight from the received bytes.
///
/// NIOHTTP1's decoder builds a header dictionary of Strings for every response; on two cores
/// shared with the server under test, those allocations cost throughput the server would
/// otherwise get, so responses are read here without them. Every number a server sends is
/// checked for overflow; anything that is not HTTP is a `Failure`, never a trap. Work is linear
/// in the bytes however they are split: a partial line is not scanned twice.
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

    /// Longest status line, header line or chunk line accepted.
    static let maximumLineLength = 64 * 1024
    /// Most bytes a response head (status line and headers, interim responses apart) may take.
    static let maximumHeadLength = 1024 * 1024
    /// Largest `Content-Length` or chunk size believed: 2^50 bytes (a petabyte).
    static let maximumBodyLength = 1 << 50

    private var state = State.statusLine
    private var response = ParsedResponse.empty
    private var contentLength: Int?
    private var chunked = false
    /// `Transfer-Encoding` present without `chunked` last: the body runs to the close (RFC 9112 6.3).
    private var otherTransferCoding = false
    private var http10 = false
    private var sawKeepAlive = false
    private var headBytes = 0
    /// Bytes at the start of the buffer already searched for a line end.
    private var scanned = 0
    /// The request was a HEAD: whatever the head says, no body follows.
    private var bodiless = false
    /// The request said `Connection: close`: the connection ends with this response, whether the
    /// response says so or not (RFC 9112, 9.6; servers often just close).
    private var lastOnConnection = false

    /// True when no response is in progress.
    var isIdle: Bool { state == .statusLine && headBytes == 0 }

    /// What a request says of its response: none of it is a body (a HEAD's), or its connection
    /// ends with it (the request said `Connection: close`).
    struct Expectation: Equatable {
        var bodiless = false
        var closing = false
        /// Keep the body (a journey step extracts from it).
        var keepBody = false
        /// Keep these headers' values (lowercase names).
        var keepHeaders: [[UInt8]] = []
    }

    /// Body and headers kept for the response in progress.
    private var keepBody = false
    private var keepHeaders: [[UInt8]] = []

    /// Prepares for the response to the next request.
    mutating func expectResponse(_ expectation: Expectation) {
        bodiless = expectation.bodiless
        lastOnConnection = expectation.closing
        keepBody = expectation.keepBody
        keepHeaders = expectation.keepHeaders
        if keepBody || !keepHeaders.isEmpty { prepareKeeping() }
    }

    private mutating func prepareKeeping() {
        response.body = keepBody ? [] : nil
        response.headerValues = Array(repeating: nil, count: keepHeaders.count)
    }

    /// Body bytes `take` long at the buffer's reader index, before they are consumed.
    private mutating func kept(_ buffer: ByteBuffer, _ take: Int) {
        guard keepBody, response.body != nil else { return }
        if response.body!.count + take > CompiledJourney.largestBody {
            response.body = nil
        } else {
            response.body! += buffer.readableBytesView.prefix(take)
        }
    }

    /// Consumes bytes from `buffer` and returns a response once it is complete; the bytes after it
    /// stay in `buffer`. Returns nil when more bytes are needed (what was read is kept).
    mutating func parse(_ buffer: inout ByteBuffer) throws -> ParsedResponse? {
        while true {
            switch state {
            case .statusLine:
                if headBytes == 0 { try rejectNonHTTP(buffer) }
                switch try takeLine(&buffer, counted: true, { try $0.parseStatusLine($1) }) {
                case .incomplete: return nil
                case .empty: headBytes = 0  // a stray CRLF between responses
                case .content: state = .headers
                }
            case .headers:
                switch try takeLine(&buffer, counted: true, { try $0.parseHeader($1) }) {
                case .incomplete: return nil
                case .content: continue
                case .empty: break
                }
                if (100..<200).contains(response.status) {
                    // An interim response (100 Continue, 103 Early Hints): the final one follows.
                    guard response.status != 101 else { throw Failure.malformed("101 Switching Protocols to a request that asked for no upgrade") }
                    resetForNextResponse()
                    if keepBody || !keepHeaders.isEmpty { prepareKeeping() }
                    continue
                }
                if let done = startBody() { return done }
            case .fixedBody(let remaining):
                let take = min(remaining, buffer.readableBytes)
                if keepBody { kept(buffer, take) }
                buffer.moveReaderIndex(forwardBy: take)
                response.bodyBytes += take
                if take == remaining { return finish() }
                state = .fixedBody(remaining: remaining - take)
                return nil
            case .chunkSize:
                var size = -1
                switch try takeLine(&buffer, counted: false, { _, line in size = try Self.chunkSize(line) }) {
                case .incomplete: return nil
                case .empty: throw Failure.malformed("an empty chunk size line")
                case .content: state = size == 0 ? .trailers : .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let take = min(remaining, buffer.readableBytes)
                if keepBody { kept(buffer, take) }
                buffer.moveReaderIndex(forwardBy: take)
                response.bodyBytes += take
                if take < remaining {
                    state = .chunkData(remaining: remaining - take)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                switch try takeLine(&buffer, counted: false, { _, _ in throw Failure.malformed("chunk data not followed by CRLF") }) {
                case .incomplete: return nil
                case .empty, .content: state = .chunkSize
                }
            case .trailers:
                switch try takeLine(&buffer, counted: false, { _, _ in }) {
                case .incomplete: return nil
                case .content: continue
                case .empty: return finish()
                }
            case .untilClose:
                if keepBody { kept(buffer, buffer.readableBytes) }
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

    // MARK: Lines

    /// What `takeLine` found.
    private enum LineEnd {
        /// More bytes are needed; nothing was consumed.
        case incomplete
        /// An empty line (CRLF alone), consumed.
        case empty
        /// A line with content, handed to the handler and consumed.
        case content
    }

    /// Finds the next line, hands a non-empty one to `handle` while its bytes are still in the
    /// buffer (no copy), and consumes it with its line end. `counted` lines belong to the head.
    private mutating func takeLine(
        _ buffer: inout ByteBuffer, counted: Bool, _ handle: (inout ResponseParser, UnsafeRawBufferPointer) throws -> Void
    ) throws -> LineEnd {
        let consumed: (Int, Bool)? = try buffer.withUnsafeReadableBytes { bytes in
            guard scanned < bytes.count, let base = bytes.baseAddress,
                let hit = memchr(base + scanned, Int32(UInt8(ascii: "\n")), bytes.count - scanned)
            else {
                scanned = bytes.count
                if bytes.count > Self.maximumLineLength { throw Failure.malformed(Self.lineTooLong) }
                if counted, headBytes + bytes.count > Self.maximumHeadLength { throw Failure.malformed(Self.headTooLong) }
                return nil
            }
            let newline = base.distance(to: UnsafeRawPointer(hit))
            let length = newline > 0 && bytes[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
            guard length <= Self.maximumLineLength else { throw Failure.malformed(Self.lineTooLong) }
            if counted {
                headBytes += newline + 1
                guard headBytes <= Self.maximumHeadLength else { throw Failure.malformed(Self.headTooLong) }
            }
            if length > 0 { try handle(&self, UnsafeRawBufferPointer(rebasing: bytes[0..<length])) }
            return (newline + 1, length == 0)
        }
        guard let (count, empty) = consumed else { return .incomplete }
        scanned = 0
        buffer.moveReaderIndex(forwardBy: count)
        return empty ? .empty : .content
    }

    private static let lineTooLong = "a line longer than \(maximumLineLength) bytes"
    private static let headTooLong = "a response head longer than \(maximumHeadLength) bytes"

    /// Fails at once on bytes that cannot start an HTTP response (an SSH banner, TLS, binary),
    /// rather than waiting for a line end that may never come.
    private func rejectNonHTTP(_ buffer: ByteBuffer) throws {
        let prefix: StaticString = "HTTP/1."
        let plausible = buffer.withUnsafeReadableBytes { bytes in
            var start = 0
            while start < bytes.count, bytes[start] == UInt8(ascii: "\r") || bytes[start] == UInt8(ascii: "\n") { start += 1 }
            let count = min(bytes.count - start, prefix.utf8CodeUnitCount)
            return prefix.withUTF8Buffer { want in (0..<count).allSatisfy { bytes[start + $0] == want[$0] } }
        }
        if !plausible { throw Failure.malformed("not an HTTP/1.x response") }
    }

    // MARK: Head

    private mutating func parseStatusLine(_ bytes: UnsafeRawBufferPointer) throws {
        // HTTP/1.1 200 OK (the reason phrase may be empty or missing)
        guard bytes.count >= 12, Self.matches(bytes, 0, "HTTP/1."), bytes[8] == UInt8(ascii: " ") else {
            throw Failure.malformed("bad status line")
        }
        guard bytes.count == 12 || bytes[12] == UInt8(ascii: " ") else { throw Failure.malformed("bad status code") }
        var status = 0
        for index in 9..<12 {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw Failure.malformed("bad status code") }
            status = status * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard (100...599).contains(status) else { throw Failure.malformed("status \(status) is outside 100-599") }
        let minor = bytes[7]
        guard minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else { throw Failure.malformed("unknown HTTP version") }
        http10 = minor == UInt8(ascii: "0")
        response.status = status
    }

    private mutating func parseHeader(_ bytes: UnsafeRawBufferPointer) throws {
        // An obsolete line folding (a continuation line) carries nothing the engine reads.
        if bytes[0] == UInt8(ascii: " ") || bytes[0] == UInt8(ascii: "\t") { return }
        var colon = 0
        while colon < bytes.count, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < bytes.count, colon > 0 else { throw Failure.malformed("a header line without a name and colon") }
        var valueStart = colon + 1
        while valueStart < bytes.count, bytes[valueStart] == UInt8(ascii: " ") || bytes[valueStart] == UInt8(ascii: "\t") { valueStart += 1 }
        var valueEnd = bytes.count
        while valueEnd > valueStart, bytes[valueEnd - 1] == UInt8(ascii: " ") || bytes[valueEnd - 1] == UInt8(ascii: "\t") { valueEnd -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
        switch colon {
        case 14 where Self.equalsIgnoringCase(bytes, 0, "content-length"):
            let length = try Self.contentLength(value)
            if let contentLength, contentLength != length { throw Failure.malformed("two different Content-Length values") }
            contentLength = length
        case 17 where Self.equalsIgnoringCase(bytes, 0, "transfer-encoding"):
            chunked = Self.endsWithChunked(value)
            otherTransferCoding = !chunked
        case 10 where Self.equalsIgnoringCase(bytes, 0, "connection"):
            if Self.containsIgnoringCase(value, "close") { response.keepAlive = false }
            if Self.containsIgnoringCase(value, "keep-alive") { sawKeepAlive = true }
        case 13 where Self.equalsIgnoringCase(bytes, 0, "server-timing"):
            response.readServerTiming(value)
        case 11 where Self.equalsIgnoringCase(bytes, 0, "retry-after"):
            response.rateLimit.readRetryAfter(value)
        case 9 where Self.equalsIgnoringCase(bytes, 0, "ratelimit"):
            response.rateLimit.readRateLimit(value)
        case 16 where Self.equalsIgnoringCase(bytes, 0, "ratelimit-policy"):
            response.rateLimit.policyPresent = true
        default:
            break
        }
        for (index, name) in keepHeaders.enumerated() where name.count == colon && Self.equalsIgnoringCase(bytes, name) {
            response.headerValues[index] = Array(value)
        }
    }

    private mutating func startBody() -> ParsedResponse? {
        let status = response.status
        if bodiless || status == 204 || status == 304 {
            return finish()
        } else if chunked {
            state = .chunkSize
        } else if otherTransferCoding {
            response.keepAlive = false
            state = .untilClose
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
        if (http10 && !sawKeepAlive) || lastOnConnection { done.keepAlive = false }
        resetForNextResponse()
        bodiless = false
        lastOnConnection = false
        keepBody = false
        keepHeaders = []
        return done
    }

    private mutating func resetForNextResponse() {
        state = .statusLine
        response = .empty
        contentLength = nil
        chunked = false
        otherTransferCoding = false
        http10 = false
        sawKeepAlive = false
        headBytes = 0
        scanned = 0
    }

    // MARK: Numbers

    /// A `Content-Length` value: decimal digits only, at most `maximumBodyLength`.
    static func contentLength(_ value: UnsafeRawBufferPointer) throws -> Int {
        guard !value.isEmpty else { throw Failure.malformed("an empty Content-Length") }
        var length = 0
        for byte in value {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw Failure.malformed("a Content-Length that is not a number") }
            length = length * 10 + Int(byte - UInt8(ascii: "0"))
            guard length <= maximumBodyLength else { throw Failure.malformed("a Content-Length beyond \(maximumBodyLength) bytes") }
        }
        return length
    }

    /// A chunk-size line: hexadecimal digits, then optional extensions after `;`.
    static func chunkSize(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        var size = 0
        var digits = 0
        for byte in bytes {
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw Failure.malformed("a chunk size that is not a number") }
                return size
            default:
                throw Failure.malformed("a chunk size that is not a number")
            }
            size = size * 16 + digit
            digits += 1
            guard size <= maximumBodyLength else { throw Failure.malformed("a chunk beyond \(maximumBodyLength) bytes") }
        }
        guard digits > 0 else { throw Failure.malformed("a chunk size that is not a number") }
        return size
    }

    // MARK: Bytes

    static func matches(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ expected: StaticString) -> Bool {
        expected.withUTF8Buffer { want in
            guard bytes.count - start >= want.count else { return false }
            for offset in 0..<want.count where bytes[start + offset] != want[offset] { return false }
            return true
        }
    }

    /// Compares with a lowercase name; `| 0x20` lowercases ASCII letters and keeps `-` as it is.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { want in
            guard bytes.count - start >= want.count else { return false }
            for offset in 0..<want.count where bytes[start + offset] | 0x20 != want[offset] { return false }
            return true
        }
    }

    /// The whole of `bytes` equals a lowercase name.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: [UInt8]) -> Bool {
        guard bytes.count >= lowercase.count else { return false }
        for offset in 0..<lowercase.count where bytes[offset] | 0x20 != lowercase[offset] { return false }
        return true
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

    /// True when the last transfer coding listed is `chunked`.
    static func endsWithChunked(_ value: UnsafeRawBufferPointer) -> Bool {
        let word: StaticString = "chunked"
        guard value.count >= word.utf8CodeUnitCount else { return false }
        let start = value.count - word.utf8CodeUnitCount
        guard equalsIgnoringCase(value, start, word) else { return false }
        return start == 0 || value[start - 1] == UInt8(ascii: ",") || value[start - 1] == UInt8(ascii: " ") || value[start - 1] == UInt8(ascii: "\t")
    }
}
