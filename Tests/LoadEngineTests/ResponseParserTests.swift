@testable import LoadEngine
import NIOCore
import Observability
import Testing

@Suite("Response parser")
struct ResponseParserTests {
    static let simple = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
        + "Server-Timing: app;dur=1.84, db;dur=0.92, pool;dur=0.05, dbq;desc=2\r\nX-Request-ID: abc\r\n\r\n{\"ok\":true}"

    func parseAll(_ text: String, chunkSize: Int) throws -> [ParsedResponse] {
        var parser = ResponseParser()
        var pending = ByteBuffer()
        var responses: [ParsedResponse] = []
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunkSize, bytes.count)
            pending.writeBytes(bytes[offset..<end])
            offset = end
            while pending.readableBytes > 0, let response = try parser.parse(&pending) { responses.append(response) }
        }
        if let last = parser.connectionClosed() { responses.append(last) }
        return responses
    }

    @Test("a response split at every possible byte parses the same", arguments: [1, 2, 3, 7, 64, 4096])
    func splitAnywhere(chunkSize: Int) throws {
        let responses = try parseAll(Self.simple + Self.simple, chunkSize: chunkSize)
        #expect(responses.count == 2)
        for response in responses {
            #expect(response.status == 200)
            #expect(response.bodyBytes == 11)
            #expect(response.keepAlive)
            #expect(response.serverTiming == ServerTiming(appMilliseconds: 1.84, databaseMilliseconds: 0.92, poolMilliseconds: 0.05, queryCount: 2))
        }
    }

    @Test("Retry-After and the IETF RateLimit headers, in either draft's form, split anywhere", arguments: [1, 3, 4096])
    func rateLimitHeaders(chunkSize: Int) throws {
        let refusal = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 3\r\nRateLimit-Policy: \"default\";q=100;w=60\r\n"
            + "RATELIMIT: \"default\";r=0;t=3\r\nContent-Length: 0\r\n\r\n"
        let older = "HTTP/1.1 200 OK\r\nRateLimit: limit=100, remaining=42, reset=17\r\nContent-Length: 0\r\n\r\n"
        let plain = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        let responses = try parseAll(refusal + older + plain, chunkSize: chunkSize)
        #expect(responses.count == 3)
        #expect(responses[0].rateLimit == RateLimitSignals(
            retryAfterPresent: true, retryAfterSeconds: 3, rateLimitPresent: true, policyPresent: true, remaining: 0, reset: 3))
        #expect(!responses[0].rateLimit.contradictsRefusal)
        #expect(responses[1].rateLimit == RateLimitSignals(rateLimitPresent: true, remaining: 42, reset: 17))
        #expect(responses[2].rateLimit.isEmpty)
        // Several policies: the one with the least remaining binds.
        let two = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nRateLimit: \"second\";r=5;t=1, \"hour\";r=0;t=30\r\nContent-Length: 0\r\n\r\n"
        let several = try parseAll(two, chunkSize: chunkSize)
        #expect(several.first?.rateLimit.remaining == 0 && several.first?.rateLimit.reset == 30)
        #expect(several.first?.rateLimit.contradictsRefusal == false)
    }

    @Test("a journey step's body and headers are kept, framed any way and split anywhere", arguments: [1, 2, 5, 4096])
    func keptBodyAndHeaders(chunkSize: Int) throws {
        let body = #"{"id": "p-1"}"#
        let fixed = "HTTP/1.1 201 Created\r\nLocation: /p/1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let chunked = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nlocation: /p/2\r\n\r\n5\r\n{\"id\"\r\n8\r\n: \"p-1\"}\r\n0\r\n\r\n"
        let interim = "HTTP/1.1 100 Continue\r\nLocation: /wrong\r\n\r\n" + fixed
        for text in [fixed, chunked, interim] {
            var parser = ResponseParser()
            parser.expectResponse(.init(keepBody: true, keepHeaders: [Array("location".utf8), Array("x-absent".utf8)]))
            var pending = ByteBuffer()
            var responses: [ParsedResponse] = []
            let bytes = Array(text.utf8)
            for start in stride(from: 0, to: bytes.count, by: chunkSize) {
                pending.writeBytes(bytes[start..<min(start + chunkSize, bytes.count)])
                if let response = try parser.parse(&pending) { responses.append(response) }
            }
            #expect(responses.count == 1)
            #expect(responses.first?.body.map { String(decoding: $0, as: UTF8.self) } == body, "\(text)")
            #expect(responses.first?.headerValues.first??.first == UInt8(ascii: "/"))
            #expect(responses.first?.headerValues.count == 2 && responses.first?.headerValues[1] == nil)
            // The next response, not asked to keep anything, keeps nothing.
            pending.writeString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            let next = try parser.parse(&pending)
            #expect(next?.body == nil && next?.headerValues == [])
        }
    }

    @Test("a body beyond the largest kept is dropped, not grown without bound")
    func keptBodyLimit() throws {
        var parser = ResponseParser()
        parser.expectResponse(.init(keepBody: true))
        let size = CompiledJourney.largestBody + 1
        var pending = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\n\r\n")
        pending.writeBytes(repeatElement(UInt8(ascii: "x"), count: size))
        let response = try #require(try parser.parse(&pending))
        #expect(response.body == nil && response.bodyBytes == size)
    }

    @Test("absurd or unreadable rate-limit values are present but not believed", arguments: [
        ("Retry-After: Wed, 21 Oct 2026 07:28:00 GMT", RateLimitSignals(retryAfterPresent: true)),
        ("Retry-After: 99999999999999999999999", RateLimitSignals(retryAfterPresent: true)),
        ("Retry-After: -5", RateLimitSignals(retryAfterPresent: true)),
        ("Retry-After:", RateLimitSignals(retryAfterPresent: true)),
        ("RateLimit: r=abc;t=", RateLimitSignals(rateLimitPresent: true)),
        ("RateLimit: \"p\";r=99999999999;t=2", RateLimitSignals(rateLimitPresent: true, reset: 2)),
        ("RateLimit: ;;;,,,", RateLimitSignals(rateLimitPresent: true)),
    ])
    func absurdRateLimitValues(header: String, expected: RateLimitSignals) throws {
        let responses = try parseAll("HTTP/1.1 429 Too Many Requests\r\n\(header)\r\nContent-Length: 0\r\n\r\n", chunkSize: 2)
        #expect(responses.map(\.rateLimit) == [expected])
    }

    @Test("a refusal whose RateLimit says requests remain, or resets far from its Retry-After, contradicts itself")
    func contradictoryRefusal() {
        #expect(RateLimitSignals(retryAfterPresent: true, retryAfterSeconds: 5, rateLimitPresent: true, remaining: 0, reset: 6).contradictsRefusal == false)
        #expect(RateLimitSignals(retryAfterPresent: true, retryAfterSeconds: 5, rateLimitPresent: true, remaining: 0, reset: 30).contradictsRefusal)
        #expect(RateLimitSignals(rateLimitPresent: true, remaining: 3, reset: 1).contradictsRefusal)
        #expect(RateLimitSignals(retryAfterPresent: true, retryAfterSeconds: 5).contradictsRefusal == false)
    }

    @Test("chunked bodies, with extensions and trailers, are framed correctly", arguments: [1, 5, 1000])
    func chunked(chunkSize: Int) throws {
        let text = "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n"
            + "HTTP/1.1 204 No Content\r\n\r\n"
        let responses = try parseAll(text, chunkSize: chunkSize)
        #expect(responses.map(\.status) == [201, 204])
        #expect(responses[0].bodyBytes == 9)
        #expect(responses[0].serverTiming == nil)
    }

    @Test("Connection: close and HTTP/1.0 responses say the connection cannot be reused")
    func keepAlive() throws {
        let close = try parseAll("HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", chunkSize: 100)
        #expect(close.first?.keepAlive == false)
        #expect(close.first?.status == 500)
        let old = try parseAll("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", chunkSize: 100)
        #expect(old.first?.keepAlive == false)
        let oldKeepAlive = try parseAll("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi", chunkSize: 100)
        #expect(oldKeepAlive.first?.keepAlive == true)
    }

    @Test("a body without length runs to the connection's close")
    func closeDelimited() throws {
        let responses = try parseAll("HTTP/1.1 200 OK\r\n\r\nall of this is body", chunkSize: 4)
        #expect(responses.count == 1)
        #expect(responses[0].bodyBytes == 19)
        #expect(responses[0].keepAlive == false)
    }

    @Test("garbage is a protocol error, not a crash")
    func malformed() {
        #expect(throws: ResponseParser.Failure.self) { try parseAll("SMTP ready\r\n\r\n", chunkSize: 100) }
        #expect(throws: ResponseParser.Failure.self) { try parseAll("HTTP/1.1 2x0 OK\r\n\r\n", chunkSize: 100) }
        #expect(throws: ResponseParser.Failure.self) {
            try parseAll("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", chunkSize: 100)
        }
        #expect(throws: ResponseParser.Failure.self) { try parseAll(String(repeating: "x", count: 20_000), chunkSize: 20_000) }
    }

    @Test("interim 1xx responses are skipped and the final one is returned", arguments: [1, 3, 1000])
    func interim(chunkSize: Int) throws {
        let text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        let responses = try parseAll(text, chunkSize: chunkSize)
        #expect(responses.map(\.status) == [200])
        #expect(throws: ResponseParser.Failure.self) { try parseAll("HTTP/1.1 101 Switching Protocols\r\n\r\n", chunkSize: 100) }
    }

    @Test("a HEAD's response has no body whatever its Content-Length says")
    func head() throws {
        var parser = ResponseParser()
        parser.expectResponse(.init(bodiless: true))
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
        #expect(try parser.parse(&buffer)?.bodyBytes == 0)
        #expect(try parser.parse(&buffer)?.status == 204, "the next response is read as its own, with no body")
    }

    @Test("a request that asked to close ends its connection with its response, whatever the response says")
    func requestClosed() throws {
        var parser = ResponseParser()
        parser.expectResponse(.init(closing: true))
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(try parser.parse(&buffer)?.keepAlive == false)
        parser.expectResponse(.init())
        buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(try parser.parse(&buffer)?.keepAlive == true, "the next request did not ask to close")
    }

    @Test("numbers a server sends are checked: no overflow, no negative length, no disagreeing lengths")
    func numbers() throws {
        for head in ["Content-Length: 99999999999999999999999999", "Content-Length: -5", "Content-Length: 12abc", "Content-Length: ",
            "Content-Length: 2\r\nContent-Length: 3", "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF"]
        {
            #expect(throws: ResponseParser.Failure.self, "\(head)") { try parseAll("HTTP/1.1 200 OK\r\n\(head)\r\n\r\nok", chunkSize: 100) }
        }
        #expect(try parseAll("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", chunkSize: 100).count == 1)
        #expect(throws: ResponseParser.Failure.self) { try parseAll("HTTP/1.1 999 Odd\r\n\r\n", chunkSize: 100) }
    }

    @Test("a head of 60 KiB is read, one beyond the stated limit is refused, and neither is scanned twice", arguments: [1, 4096])
    func headLimits(chunkSize: Int) throws {
        let filler = (0..<520).map { "X-Filler-\($0): \(String(repeating: "a", count: 100))\r\n" }.joined()
        #expect(try parseAll("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + filler + "\r\nok", chunkSize: chunkSize).count == 1)
        let long = String(repeating: filler, count: 20)
        #expect(throws: ResponseParser.Failure.self) { try parseAll("HTTP/1.1 200 OK\r\n" + long + "\r\n", chunkSize: 8192) }
    }
}
