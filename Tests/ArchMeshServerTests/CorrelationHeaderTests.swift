@testable import ArchMeshServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Observability
import Testing
import TestSupport

@Suite("Correlation headers")
struct CorrelationHeaderTests {
    static let requestID = HTTPField.Name("X-Request-ID")!

    @Test("a well-formed X-Request-ID is echoed; a malformed one is replaced by a generated one")
    func requestIDs() async throws {
        try await TestApp.withRouter { client in
            let echoed = try await client.send(.get, "/health/live", headers: [Self.requestID: "load-test.42_a-B"])
            #expect(echoed.headers[Self.requestID] == "load-test.42_a-B")
            for bad in [String(repeating: "x", count: 129), "has space", "semi;colon", ""] {
                let replaced = try await client.send(.get, "/health/live", headers: [Self.requestID: bad])
                let id = try #require(replaced.headers[Self.requestID])
                #expect(id != bad && RequestID.isWellFormed(id))
            }
            let generated = try await client.send(.get, "/health/live")
            #expect(generated.headers[Self.requestID].map(RequestID.isWellFormed) == true)
        }
    }

    @Test("a valid traceparent is answered with traceresponse in the same trace (a span of the server's own); an invalid one is ignored")
    func traceContext() async throws {
        let traceParent = HTTPField.Name("traceparent")!, traceResponse = HTTPField.Name("traceresponse")!
        try await TestApp.withRouter { client in
            let sent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            for (method, path) in [(HTTPRequest.Method.get, "/health/live"), (.get, "/api/v1/nothing"), (.patch, "/api/v1/projects")] {
                let answered = try await client.send(method, path, headers: [traceParent: sent])
                let answer = try #require(answered.headers[traceResponse].flatMap(TraceParent.parse), "\(path)")
                #expect(answer.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
                #expect(answer.parentID != "00f067aa0ba902b7", "the server's own span")
                #expect(answer.sampled)
            }
            for bad in ["00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "garbage", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"] {
                let ignored = try await client.send(.get, "/health/live", headers: [traceParent: bad])
                #expect(ignored.status == .ok)
                #expect(ignored.headers[traceResponse] == nil, "\(bad)")
            }
        }
    }

    @Test("every response carries Server-Timing: errors, 404s and 405s included")
    func serverTimingEverywhere() async throws {
        try await TestApp.withRouter { client in
            let responses = [
                try await client.send(.get, "/health/live"),
                try await client.send(.get, "/api/v1/nothing"),
                try await client.send(.patch, "/api/v1/projects"),
                try await client.send(.post, "/api/v1/projects", json: "{"),
            ]
            for response in responses {
                let timing = try #require(response.serverTiming, "\(response.status)")
                #expect(timing.queryCount == 0)
                #expect(timing.databaseMilliseconds == 0)
            }
        }
    }

    @Test("the list's Server-Timing counts its queries (one, or two for a page past the end) and their time within the handler's")
    func measuredNotEstimated() async throws {
        try await TestApp.withRouter(seedProjects: 50) { client in
            let pastTheEnd = try #require(try await client.send(.get, "/api/v1/projects?limit=20&skip=100").serverTiming)
            #expect(pastTheEnd.queryCount == 2, "an empty page carries no count: the count is asked apart")
            let response = try await client.send(.get, "/api/v1/projects?limit=20")
            #expect(String(buffer: response.body).contains(#""total":50"#))
            let timing = try #require(response.serverTiming)
            #expect(timing.queryCount == 1)
            #expect(timing.databaseMilliseconds > 0)
            #expect(timing.appMilliseconds >= timing.databaseMilliseconds + timing.poolMilliseconds - 0.02)
        }
    }

    @Test("slow requests are logged with their request ID and timings")
    func slowRequestsAreLogged() async throws {
        let recorder = LogRecorder()
        try await TestApp.withRouter(logger: recorder.logger(), configure: { $0.slowRequestThreshold = .zero }) { client in
            _ = try await client.send(.get, "/api/v1/projects", headers: [Self.requestID: "find-me-123"])
        }
        let line = try #require(recorder.recorded.first { $0.contains("slow request") && $0.contains("request_id=find-me-123") })
        for key in ["app_ms=", "db_ms=", "pool_ms=", "queries=1", "route=/api/v1/projects", "status=200"] {
            #expect(line.contains(key), "\(key) in \(line)")
        }
    }
}
