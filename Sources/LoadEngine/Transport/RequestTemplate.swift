import NIOCore
import NIOEmbedded
import NIOHTTP1

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
    /// A HEAD request: its response has no body, whatever its head says.
    let isHEAD: Bool
    /// The request asks for its connection to close after the response (`Connection: close`).
    let closesConnection: Bool

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
        self.isHEAD = endpoint.method == "HEAD"
        self.closesConnection = head.headers[canonicalForm: "Connection"].contains { $0.lowercased() == "close" }
        setRunTag(runTag)
    }

    private mutating func setRunTag(_ tag: String) {
        bytes.setBytes(Array(tag.utf8) + [UInt8(ascii: "-")], at: bytes.readerIndex + requestIDOffset)
    }

    /// The bytes to send, with the ID's 16 hex digits set to `number`.
    mutating func stamped(_ number: UInt64) -> ByteBuffer {
        let hex: StaticString = "0123456789abcdef"
        let start = bytes.readerIndex + requestIDOffset + 9
        hex.withUTF8Buffer { digits in
            var remaining = number
            for index in stride(from: 15, through: 0, by: -1) {
                bytes.setInteger(digits[Int(remaining & 0xF)], at: start + index)
                remaining >>= 4
            }
        }
        return bytes
    }

    /// The request ID that `stamped(number)` sends.
    static func requestID(runTag: String, number: UInt64) -> String {
        let digits = String(number, radix: 16)
        return runTag + "-" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
