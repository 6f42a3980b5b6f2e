import NIOCore
import NIOHPACK
import Observability
import Testing

@testable import LoadEngine

/// The engine's request HPACK encoder, read back by SwiftNIO's decoder (one per connection, kept
/// across blocks as a server keeps it).
@Suite("HPACK request encoder")
struct HPACKRequestEncoderTests {
    /// Fields a request may carry: static full matches, static names, new names, values long
    /// enough to evict others from a 4 KiB table.
    static func pool(_ generator: inout some RandomNumberGenerator) -> [(String, String)] {
        var fields: [(String, String)] = [
            (":method", "GET"), (":method", "POST"), (":method", "DELETE"), (":scheme", "http"), (":scheme", "https"),
            (":path", "/"), (":path", "/api/v1/projects?limit=20"), (":authority", "127.0.0.1:8080"),
            ("user-agent", "archmesh-load"), ("accept", ""), ("content-type", "application/json"), ("x-tenant", "a"),
            ("authorization", "Bearer " + String(repeating: "t", count: 300)),
        ]
        for index in 0..<6 {
            fields.append(("x-big-\(index)", String(repeating: "v", count: Int.random(in: 500...2_500, using: &generator))))
        }
        return fields
    }

    @Test("random request sequences decode to exactly their fields and IDs, through insertions, evictions and a table turned off")
    func decodesBack() throws {
        var generator = SystemRandomNumberGenerator()
        for sequence in 0..<40 {
            let pool = Self.pool(&generator)
            let runTag = "seq\(String(sequence).padding(toLength: 5, withPad: "0", startingAt: 0))"
            let heads = (0..<6).map { key in
                HTTP2RequestHead(
                    key: key,
                    fields: (0..<Int.random(in: 1...7, using: &generator)).map { _ in
                        let (name, value) = pool.randomElement(using: &generator)!
                        return HTTP2RequestHead.Field(name: name, value: value)
                    },
                    body: nil, runTag: runTag)
            }
            var encoder = HPACKRequestEncoder()
            var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
            let turnOffAt = sequence % 3 == 0 ? Int.random(in: 0..<200, using: &generator) : nil
            for step in 0..<200 {
                if step == turnOffAt {
                    encoder.peerTableSize(0)
                    decoder.maxDynamicTableLength = 0  // what a server's own SETTINGS of 0 do to its decoder
                }
                let head = heads.randomElement(using: &generator)!
                let number = UInt64.random(in: 0...UInt64.max, using: &generator)
                var block = ByteBuffer()
                encoder.encode(head, requestNumber: number, into: &block)
                let decoded = try decoder.decodeHeaders(from: &block)
                let expected = head.fields.map { (String(decoding: $0.name, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) }
                    + [("x-request-id", RequestTemplate.requestID(runTag: runTag, number: number))]
                let got = decoded.map { ($0.name, $0.value) }
                #expect(got.map(\.0) == expected.map(\.0) && got.map(\.1) == expected.map(\.1), "sequence \(sequence), step \(step)")
            }
        }
    }

    @Test("a request sent before is all indices but its ID, and its block is reused")
    func steadyState() throws {
        let head = HTTP2RequestHead(
            key: 0,
            fields: [.init(name: ":method", value: "GET"), .init(name: ":scheme", value: "http"), .init(name: ":authority", value: "127.0.0.1:8080"),
                .init(name: ":path", value: "/health/live"), .init(name: "user-agent", value: "archmesh-load")],
            body: nil, runTag: "steady01")
        var encoder = HPACKRequestEncoder()
        var first = ByteBuffer()
        encoder.encode(head, requestNumber: 1, into: &first)
        var second = ByteBuffer()
        encoder.encode(head, requestNumber: 2, into: &second)
        // Five fields of one byte each (an index under 127), then the ID's 40-byte literal.
        #expect(second.readableBytes == 5 + 40)
        #expect(first.readableBytes > second.readableBytes)
        var third = ByteBuffer()
        encoder.encode(head, requestNumber: 2, into: &third)
        #expect(third == second)
    }

    @Test("with trace context each request's block ends with its own traceparent, read back as the request's trace and span")
    func traceParents() throws {
        let head = HTTP2RequestHead(
            key: 0, fields: [.init(name: ":method", value: "GET"), .init(name: ":path", value: "/health/live")], body: nil, runTag: "traced01",
            traceContext: true)
        var encoder = HPACKRequestEncoder()
        var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
        for number: UInt64 in [0, 1, (3 << 40) | 77, (0xFF_FFFF << 40) | 0xFF_FFFF_FFFF] {
            var block = ByteBuffer()
            encoder.encode(head, requestNumber: number, into: &block)
            let fields = try decoder.decodeHeaders(from: &block).map { ($0.name, $0.value) }
            #expect(fields.first { $0.0 == "x-request-id" }?.1 == RequestTemplate.requestID(runTag: "traced01", number: number))
            let value = try #require(fields.first { $0.0 == "traceparent" }?.1)
            let parent = try #require(TraceParent.parse(value), "\(value)")
            #expect(parent.traceID == TraceParent.loadTraceID(runTag: "traced01", number: number))
            #expect(parent.parentID == TraceParent.loadSpanID(number: number))
        }
    }
}
