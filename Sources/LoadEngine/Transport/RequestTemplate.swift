import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHPACK

/// One request's bytes, encoded once with NIOHTTP1's encoder, with a fixed-width slot for the
/// `X-Request-ID` that each send fills in place: no encoding, no allocation per request.
struct RequestTemplate {
    /// Width of every request ID the engine sends: `<8-char run tag>-<16 hex digits>`.
    static let requestIDWidth = 25
    private static let placeholder = String(repeating: "#", count: requestIDWidth)

    /// The encoded request; the ID slot is overwritten before each send.
    private(set) var bytes: ByteBuffer
    /// Where the ID slot starts in `bytes`.
    let requestIDOffset: Int
    /// Index of the endpoint this template belongs to.
    let endpoint: Int
    /// What the response to this request will be like, for the parser.
    let expectation: ResponseParser.Expectation
    /// HTTP/2: the request's HPACK header block (encoded once: pseudo-headers first, the rest in
    /// lowercase, `Host` as `:authority`, no connection-specific headers, nothing entered in the
    /// server's dynamic table, so one block serves every connection), its ID last, in a slot
    /// stamped like the HTTP/1.1 one; and the body.
    private var http2Block: ByteBuffer
    private let http2IDOffset: Int
    let body: ByteBuffer?

    init(endpoint index: Int, _ endpoint: Endpoint, path: String, target: LoadTarget, runTag: String) throws {
        precondition(runTag.utf8.count == 8)
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: endpoint.method), uri: target.basePath + path)
        head.headers.add(name: "Host", value: target.hostHeader)
        head.headers.add(name: "User-Agent", value: "archmesh-load")
        head.headers.add(name: "X-Request-ID", value: Self.placeholder)
        for header in endpoint.headers { head.headers.add(name: header.name, value: header.value) }
        if let body = endpoint.body {
            head.headers.add(name: "Content-Length", value: String(body.count))
        } else if ["POST", "PUT", "PATCH"].contains(endpoint.method) {
            head.headers.add(name: "Content-Length", value: "0")
        }
        let channel = EmbeddedChannel(handler: HTTPRequestEncoder())
        defer { _ = try? channel.finish() }
        try channel.writeOutbound(HTTPClientRequestPart.head(head))
        if let body = endpoint.body {
            try channel.writeOutbound(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))))
        }
        try channel.writeOutbound(HTTPClientRequestPart.end(nil))
        var encoded = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { encoded.writeBuffer(&part) }
        guard let offset = encoded.readableBytesView.firstRange(of: Array(Self.placeholder.utf8))?.lowerBound else {
            throw LoadEngineError.invalidPlan("could not place the request ID in the encoded request")
        }
        self.bytes = encoded
        self.requestIDOffset = offset - encoded.readerIndex
        self.endpoint = index
        self.expectation = .init(
            bodiless: endpoint.method == "HEAD", closing: head.headers[canonicalForm: "Connection"].contains { $0.lowercased() == "close" })
        (self.http2Block, self.http2IDOffset) = try Self.http2Block(head, scheme: target.scheme.rawValue)
        self.body = endpoint.body.map { ByteBuffer(bytes: $0) }
        let tag = Array(runTag.utf8) + [UInt8(ascii: "-")]
        bytes.setBytes(tag, at: bytes.readerIndex + requestIDOffset)
        http2Block.setBytes(tag, at: http2Block.readerIndex + http2IDOffset)
    }

    /// The bytes to send, with the ID's 16 hex digits set to `number`.
    mutating func stamped(_ number: UInt64) -> ByteBuffer {
        Self.stamp(number, into: &bytes, at: requestIDOffset + 9)
        return bytes
    }

    /// HTTP/2: the header block of request `number`, with its request ID.
    mutating func http2Stamped(_ number: UInt64) -> ByteBuffer {
        Self.stamp(number, into: &http2Block, at: http2IDOffset + 9)
        return http2Block
    }

    /// Writes `number` as 16 hex digits at `start`, in place through one pointer (a write per
    /// digit through `ByteBuffer` costs an exclusivity check each, measurable per request).
    private static func stamp(_ number: UInt64, into buffer: inout ByteBuffer, at start: Int) {
        buffer.withUnsafeMutableReadableBytes { bytes in
            var remaining = number
            for index in stride(from: 15, through: 0, by: -1) {
                let digit = UInt8(truncatingIfNeeded: remaining & 0xF)
                bytes[start + index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                remaining >>= 4
            }
        }
    }

    /// HTTP/2 has no connection-specific headers (RFC 9113, 8.2.2), and the ID is added per request.
    private static let leftOutOfHTTP2: Set<String> = ["host", "x-request-id", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]

    /// The block and where its ID's slot starts. Every field is a literal "without indexing"
    /// (RFC 7541, 6.2.2), named from the static table where it can be: the block means the same
    /// on any connection, whatever the server's dynamic table holds.
    private static func http2Block(_ head: HTTPRequestHead, scheme: String) throws -> (ByteBuffer, Int) {
        var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
        try encoder.beginEncoding(allocator: ByteBufferAllocator())
        try encoder.appendNonIndexed(header: ":method", value: head.method.rawValue)
        try encoder.appendNonIndexed(header: ":scheme", value: scheme)
        try encoder.appendNonIndexed(header: ":authority", value: head.headers.first(name: "Host") ?? "")
        try encoder.appendNonIndexed(header: ":path", value: head.uri)
        for (name, value) in head.headers where !leftOutOfHTTP2.contains(name.lowercased()) {
            try encoder.appendNonIndexed(header: name.lowercased(), value: value)
        }
        var block = try encoder.endEncoding()
        // `x-request-id` last, its name and value as plain (not Huffman) strings, lengths under 127.
        block.writeInteger(UInt8(0))
        block.writeInteger(UInt8(12))
        block.writeString("x-request-id")
        block.writeInteger(UInt8(requestIDWidth))
        let offset = block.readableBytes
        block.writeString(placeholder)
        return (block, offset)
    }

    /// The request ID that `stamped(number)` sends.
    static func requestID(runTag: String, number: UInt64) -> String {
        let digits = String(number, radix: 16)
        return runTag + "-" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
