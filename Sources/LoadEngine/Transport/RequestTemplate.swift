import NIOCore
import NIOEmbedded
import NIOHTTP1
import Observability

/// One request's bytes, encoded once with NIOHTTP1's encoder, with a fixed-width slot for the
/// `X-Request-ID` (and, with trace context, the `traceparent`'s request-specific digits) that each
/// send fills in place: no encoding, no allocation per request.
struct RequestTemplate {
    /// Width of every request ID the engine sends: `<8-char run tag>-<16 hex digits>`.
    static let requestIDWidth = 25
    private static let placeholder = String(repeating: "#", count: requestIDWidth)

    /// The encoded request; the ID slot is overwritten before each send.
    private(set) var bytes: ByteBuffer
    /// Where the ID slot starts in `bytes`.
    let requestIDOffset: Int
    /// Where the `traceparent`'s trace ID's second half starts in `bytes` (its span ID 17 bytes
    /// on); nil without trace context.
    let traceOffset: Int?
    /// Index of the endpoint this template belongs to.
    let endpoint: Int
    /// What the response to this request will be like, for the parser.
    let expectation: ResponseParser.Expectation
    /// HTTP/2: the request's fields and body, encoded by each connection's `HPACKRequestEncoder`.
    let http2: HTTP2RequestHead

    /// `key`: dense over a worker's templates (`HTTP2RequestHead.key`).
    /// Where a `traceparent`'s request-specific digits go: the trace ID's second half and the span ID.
    private static let tracePlaceholder = String(repeating: "~", count: 16) + "-" + String(repeating: "~", count: 16)

    init(endpoint index: Int, _ endpoint: Endpoint, path: String, target: LoadTarget, runTag: String, traceContext: Bool = true, key: Int = 0) throws {
        precondition(runTag.utf8.count == 8)
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: endpoint.method), uri: target.basePath + path)
        head.headers.add(name: "Host", value: target.hostHeader)
        head.headers.add(name: "User-Agent", value: "archmesh-load")
        head.headers.add(name: "X-Request-ID", value: Self.placeholder)
        if traceContext {
            head.headers.add(name: TraceParent.headerName, value: TraceParent.loadPrefix(runTag: runTag) + Self.tracePlaceholder + "-01")
        }
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
        if traceContext {
            guard let trace = encoded.readableBytesView.firstRange(of: Array(Self.tracePlaceholder.utf8))?.lowerBound else {
                throw LoadEngineError.invalidPlan("could not place the traceparent in the encoded request")
            }
            self.traceOffset = trace - encoded.readerIndex
        } else {
            self.traceOffset = nil
        }
        self.endpoint = index
        self.expectation = .init(
            bodiless: endpoint.method == "HEAD", closing: head.headers[canonicalForm: "Connection"].contains { $0.lowercased() == "close" })
        self.http2 = HTTP2RequestHead(
            key: key, fields: Self.http2Fields(head, scheme: target.scheme.rawValue), body: endpoint.body.map { ByteBuffer(bytes: $0) }, runTag: runTag,
            traceContext: traceContext)
        bytes.setBytes(Array(runTag.utf8) + [UInt8(ascii: "-")], at: bytes.readerIndex + requestIDOffset)
    }

    /// The bytes to send, with the ID's 16 hex digits set to `number`: written in place through one
    /// pointer (a write per digit through `ByteBuffer` costs an exclusivity check each, measurable
    /// per request).
    mutating func stamped(_ number: UInt64) -> ByteBuffer {
        let start = requestIDOffset + 9
        let trace = traceOffset
        bytes.withUnsafeMutableReadableBytes { bytes in
            RequestID.writeHex(number, into: bytes, at: start)
            if let trace {
                RequestID.writeHex(number, into: bytes, at: trace)
                RequestID.writeHex(TraceParent.spanBits(number), into: bytes, at: trace + 17)
            }
        }
        return bytes
    }

    /// HTTP/2 has no connection-specific headers (RFC 9113, 8.2.2), and the ID and the trace
    /// context are added per request.
    private static let leftOutOfHTTP2: Set<String> = [
        "host", "x-request-id", TraceParent.headerName, "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    ]

    private static func http2Fields(_ head: HTTPRequestHead, scheme: String) -> [HTTP2RequestHead.Field] {
        var fields = [
            HTTP2RequestHead.Field(name: ":method", value: head.method.rawValue),
            HTTP2RequestHead.Field(name: ":scheme", value: scheme),
            HTTP2RequestHead.Field(name: ":authority", value: head.headers.first(name: "Host") ?? ""),
            HTTP2RequestHead.Field(name: ":path", value: head.uri),
        ]
        for (name, value) in head.headers where !leftOutOfHTTP2.contains(name.lowercased()) {
            fields.append(HTTP2RequestHead.Field(name: name.lowercased(), value: value))
        }
        return fields
    }

    /// The request ID that `stamped(number)` sends.
    static func requestID(runTag: String, number: UInt64) -> String {
        runTag + "-" + RequestID.hex(number)
    }
}
