@testable import ArchMeshServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Fault injection")
struct FaultInjectionTests {
    static let token = HTTPField.Name("X-Fault-Token")!

    func withFaults(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await TestApp.withRouter(configure: { $0.faultToken = "test-fault-token" }, test)
    }

    @Test("without --enable-faults the fault routes do not exist")
    func offByDefault() async throws {
        try await TestApp.withRouter { client in
            let read = try await client.send(.get, "/_faults", headers: [Self.token: "anything"]).status
            #expect(read == .notFound)
            let written = try await client.send(.put, "/_faults", json: #"{"error_rate": 1}"#).status
            #expect(written == .notFound)
        }
    }

    @Test("fault changes need the token")
    func needsToken() async throws {
        try await withFaults { client in
            let written = try await client.send(.put, "/_faults", json: #"{"error_rate": 1}"#).status
            #expect(written == .forbidden)
            let wrongToken = try await client.send(.put, "/_faults", json: #"{"error_rate": 1}"#, headers: [Self.token: "wrong-token!"]).status
            #expect(wrongToken == .forbidden)
            let live = try await client.send(.get, "/health/live").status
            #expect(live == .ok, "nothing was injected")
        }
    }

    @Test("an error rate of 1 answers every API request 500, and clearing it restores them")
    func errors() async throws {
        try await withFaults { client in
            let set = try await client.send(.put, "/_faults", json: #"{"error_rate": 1}"#, headers: [Self.token: "test-fault-token"])
            #expect(set.status == .ok)
            let failed = try await client.send(.get, "/api/v1/projects")
            #expect(failed.status == .internalServerError)
            #expect(failed.errorBody?.error.code == "injected_fault")
            let metrics = try await client.send(.get, "/metrics").status
            #expect(metrics == .ok, "operational routes are never faulted")
            let cleared = try await client.send(.delete, "/_faults", headers: [Self.token: "test-fault-token"]).status
            #expect(cleared == .noContent)
            let restored = try await client.send(.get, "/api/v1/projects").status
            #expect(restored == .ok)
        }
    }

    @Test("added latency and slow queries show in Server-Timing as app and db time")
    func latencyAndSlowQueries() async throws {
        try await withFaults { client in
            _ = try await client.send(.put, "/_faults", json: #"{"latency_ms": 30, "slow_query_ms": 40, "path_prefix": "/api/v1/projects"}"#,
                                      headers: [Self.token: "test-fault-token"])
            let slowed = try #require(try await client.send(.get, "/api/v1/projects").serverTiming)
            #expect(slowed.appMilliseconds >= 70)
            #expect(slowed.databaseMilliseconds >= 40)
            #expect(slowed.queryCount == 2, "the slow query and the list's one")
            let other = try #require(try await client.send(.get, "/health/live").serverTiming)
            #expect(other.appMilliseconds < 30, "outside the path prefix")
        }
    }

    @Test("a leak retains the configured bytes per request")
    func leak() async throws {
        try await withFaults { client in
            _ = try await client.send(.put, "/_faults", json: #"{"leak_bytes_per_request": 4096}"#, headers: [Self.token: "test-fault-token"])
            for _ in 0..<5 { _ = try await client.send(.get, "/health/live") }
            let state = try await client.send(.get, "/_faults", headers: [Self.token: "test-fault-token"])
            #expect(String(buffer: state.body).contains(#""leaked_bytes":20480"#))
        }
    }

    @Test("bad fault settings are refused field by field")
    func badSettings() async throws {
        try await withFaults { client in
            let response = try await client.send(.put, "/_faults", json: #"{"error_rate": 2, "latency_ms": "slow"}"#, headers: [Self.token: "test-fault-token"])
            #expect(response.status == .unprocessableContent)
            #expect(Set(response.errorBody?.error.fields.map(\.field) ?? []) == ["error_rate", "latency_ms"])
        }
    }

    @Test("a pool full of slow queries is busy, not down: a request that times out does not close the database to the rest")
    func fullPoolIsNotAnOutage() async throws {
        try await TestApp.withRouter(configure: { configuration in
            configuration.faultToken = "test-fault-token"
            configuration.poolSize = 2
            configuration.poolAcquireTimeout = .milliseconds(5000)
        }) { client in
            // The pool opens its connections as the server starts: first make sure both are open (two
            // requests holding one each at once), so the slow queries below start when they are asked,
            // not when a connection first opens on a loaded machine.
            _ = try await client.send(
                .put, "/_faults", json: #"{"slow_query_ms": 300, "path_prefix": "/api/v1/projects"}"#, headers: [Self.token: "test-fault-token"])
            for _ in 0..<50 {
                // Both open: neither of two requests at once waited for the other's connection.
                let waits = try await withThrowingTaskGroup(of: Double.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            let response = try await client.send(.get, "/api/v1/projects?limit=1")
                            return response.status == .ok ? response.serverTiming?.poolMilliseconds ?? .infinity : .infinity
                        }
                    }
                    return try await group.reduce(into: [Double]()) { $0.append($1) }
                }
                if waits.allSatisfy({ $0 < 200 }) { break }
            }
            _ = try await client.send(
                .put, "/_faults", json: #"{"slow_query_ms": 7500, "path_prefix": "/api/v1/projects"}"#, headers: [Self.token: "test-fault-token"])
            try await withThrowingTaskGroup(of: (String, HTTPResponse.Status).self) { group in
                // Two slow requests hold both connections for 7.5 s; a third waits and times out at 5 s.
                for _ in 0..<3 {
                    group.addTask { ("list", try await client.send(.get, "/api/v1/projects?limit=1").status) }
                }
                var statuses: [String: [HTTPResponse.Status]] = [:]
                for try await (name, status) in group {
                    statuses[name, default: []].append(status)
                    if name == "list" && status == .serviceUnavailable {
                        // Right after that timeout, the slow queries end within 2.5 s: health waits for a
                        // connection (up to 5 s) and gets one, because a full pool did not close the database.
                        group.addTask { ("health", try await client.send(.get, "/api/v1/health").status) }
                    }
                }
                #expect(statuses["list"]?.filter { $0 == .ok }.count == 2)
                #expect(statuses["list"]?.filter { $0 == .serviceUnavailable }.count == 1, "one waited past the acquire timeout")
                #expect(statuses["health"] == [.ok], "a full pool is not an outage: health is answered")
            }
        }
    }
}
