@testable import LoadEngine
import NIOCore
import Observability
import Testing

@Suite("Targets and request templates")
struct TargetAndTemplateTests {
    @Test("URLs split into target and path; only loopback targets pass without --allow-remote")
    func targets() throws {
        let (target, path) = try LoadTarget.split(url: "http://127.0.0.1:8080/api/v1/projects?limit=20")
        #expect(target.host == "127.0.0.1" && target.port == 8080)
        #expect(path == "/api/v1/projects?limit=20")
        #expect(target.isLoopback)
        #expect(try LoadTarget(url: "http://localhost:1").isLoopback)
        #expect(try LoadTarget(url: "http://[::1]:8080").isLoopback)
        let remote = try LoadTarget(url: "http://10.0.0.5:8080")
        #expect(!remote.isLoopback)
        #expect(throws: LoadEngineError.self) { try remote.requireLoopback(allowRemote: false) }
        #expect(throws: Never.self) { try remote.requireLoopback(allowRemote: true) }
        let secure = try LoadTarget(url: "https://127.0.0.1")
        #expect(secure.scheme == .https && secure.port == 443 && secure.description == "https://127.0.0.1:443")
        #expect(try LoadTarget(url: "HTTPS://localhost:8443/base").scheme == .https)
        #expect(throws: LoadEngineError.self) { try LoadTarget(url: "ftp://127.0.0.1") }
        #expect(throws: LoadEngineError.self) { try LoadTarget(url: "h2c://127.0.0.1") }
        #expect(throws: LoadEngineError.self) { try LoadTarget(url: "not a url") }
    }

    @Test("a template is encoded once and each send stamps a new request ID in place")
    func stamping() throws {
        let endpoint = Endpoint.json("POST", "/api/v1/projects", body: #"{"name":"x"}"#)
        var template = try RequestTemplate(endpoint: 0, endpoint, path: "/api/v1/projects", target: LoadTarget(host: "127.0.0.1", port: 9), runTag: "run12345")
        let first = String(buffer: template.stamped(1))
        let second = String(buffer: template.stamped(0xABC))
        #expect(first.hasPrefix("POST /api/v1/projects HTTP/1.1\r\n"))
        #expect(first.contains("X-Request-ID: run12345-0000000000000001\r\n"))
        #expect(second.contains("X-Request-ID: run12345-0000000000000abc\r\n"))
        #expect(first.contains("Content-Length: 12\r\n"))
        #expect(first.hasSuffix("\r\n\r\n{\"name\":\"x\"}"))
        #expect(first.count == second.count)
        #expect(RequestTemplate.requestID(runTag: "run12345", number: 0xABC) == "run12345-0000000000000abc")
    }

    @Test("each send stamps the request's own traceparent: a valid one, its trace found again from the request number; none when off")
    func traceParents() throws {
        let endpoint = Endpoint.get("/health/live")
        var template = try RequestTemplate(endpoint: 0, endpoint, path: "/health/live", target: LoadTarget(host: "127.0.0.1", port: 9), runTag: "run12345")
        var seen = Set<String>()
        for number: UInt64 in [0, 1, 0xABC, (7 << 40) | 3, (0xFF_FFFF << 40) | 0xFF_FFFF_FFFF] {
            let text = String(buffer: template.stamped(number))
            let line = try #require(text.split(separator: "\r\n").first { $0.hasPrefix("traceparent: ") })
            let parent = try #require(TraceParent.parse(line.dropFirst("traceparent: ".count)), "\(line)")
            #expect(parent.traceID == TraceParent.loadTraceID(runTag: "run12345", number: number))
            #expect(parent.parentID == TraceParent.loadSpanID(number: number))
            #expect(parent.sampled)
            #expect(seen.insert(parent.traceID).inserted, "a trace per request")
            #expect(text.contains("X-Request-ID: \(RequestTemplate.requestID(runTag: "run12345", number: number))\r\n"))
        }
        var off = try RequestTemplate(
            endpoint: 0, endpoint, path: "/health/live", target: LoadTarget(host: "127.0.0.1", port: 9), runTag: "run12345", traceContext: false)
        #expect(!String(buffer: off.stamped(5)).contains("traceparent"))
    }

    @Test("traceparent is read as the W3C specification says: versions, lengths, case, zero IDs; never a crash on garbage")
    func traceParentParsing() {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        #expect(TraceParent.parse(valid) == TraceParent(traceID: "4bf92f3577b34da6a3ce929d0e0e4736", parentID: "00f067aa0ba902b7", sampled: true))
        #expect(TraceParent.parse(valid)?.headerValue == valid)
        #expect(TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled == false)
        // A later version may add fields after its own dash; version 00 may not.
        #expect(TraceParent.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra") != nil)
        for invalid in [
            "", "00", valid + "-", valid + "x", String(valid.dropLast()), valid.uppercased(), "ff" + valid.dropFirst(2),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01", "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
        ] {
            #expect(TraceParent.parse(invalid) == nil, "\(invalid)")
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefABCDEF-xz \u{00e9}".unicodeScalars)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...70, using: &generator)
            var text = String.UnicodeScalarView()
            for _ in 0..<length { text.append(alphabet.randomElement(using: &generator)!) }
            if let parsed = TraceParent.parse(String(text)) {
                #expect(parsed.traceID.count == 32 && parsed.parentID.count == 16)
            }
        }
        #expect(TraceParent.runHalf("run12345") != 0)
        #expect(TraceParent.loadTraceID(runTag: "run12345", number: 1).count == 32)
    }
}
