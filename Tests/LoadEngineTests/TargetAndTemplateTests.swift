@testable import LoadEngine
import NIOCore
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
}
