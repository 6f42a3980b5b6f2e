import Foundation
@testable import LoadEngine
import Observability
import Testing

/// Runs against a local test server: behaviour, not speed (no assertion here depends on how fast
/// this machine is).
@Suite("Live runs")
struct LiveRunTests {
    func withServer<T>(_ body: (TestHTTPServer) async throws -> T) async throws -> T {
        try await TestHTTPServer.with(body)
    }

    func plan(_ server: TestHTTPServer, _ endpoints: [Endpoint], _ model: LoadModel) -> LoadPlan {
        var plan = LoadPlan(target: LoadTarget(host: "127.0.0.1", port: server.port), endpoints: endpoints, model: model, runTag: "testrun1")
        // A full test run loads the machine enough to stall a request for seconds: only the tests
        // of timeouts themselves time anything out.
        plan.requestTimeout = .seconds(60)
        return plan
    }

    @Test("a closed run sends exactly the requests asked for, each with its own request ID")
    func closedExactCount() async throws {
        try await withServer { server in
            let result = try await LoadRun.run(plan(server, [.get("/ok")], .closedRequests(users: 4, totalRequests: 250)))
            #expect(result.totalRequests == 250)
            #expect(result.successfulRequests == 250)
            #expect(result.errors.total == 0)
            #expect(server.state.requests.load(ordering: .relaxed) == 250)
            let ids = server.state.requestIDs.withLock { $0 }
            #expect(Set(ids).count == 250)
            #expect(ids.allSatisfy { $0.hasPrefix("testrun1-") && RequestID.isWellFormed($0) })
            #expect(result.endpoints[0].server.timedResponses == 250)
            #expect(abs(result.endpoints[0].server.app.p50 - 0.5) < 0.01)
            #expect(result.exemplars.count == 10)
            #expect(ids.contains(result.exemplars[0].requestID))
        }
    }

    @Test("requests that ask for Connection: close each get a connection of their own and all succeed")
    func connectionClose() async throws {
        try await withServer { server in
            let endpoint = Endpoint(method: "GET", paths: ["/ok"], headers: [.init(name: "Connection", value: "close")])
            let result = try await LoadRun.run(plan(server, [endpoint], .closedRequests(users: 2, totalRequests: 40)))
            #expect(result.successfulRequests == 40 && result.errors.total == 0, "\(result.errors.byName)")
            #expect(result.connectionStats.opened >= 40)
        }
    }

    @Test("an open run's sent and never-sent requests add up to the schedule exactly")
    func openScheduleAddsUp() async throws {
        try await withServer { server in
            let result = try await LoadRun.run(plan(server, [.get("/ok")], .constantRate(rate: 200, duration: .seconds(2), maxInFlight: 10)))
            #expect(result.totalRequests + result.unsentRequests == 400)
            #expect(result.openModel)
            #expect(result.seconds.count >= 2)
        }
    }

    @Test("a one-off stall shows in the corrected latency and hides from the uncorrected one")
    func coordinatedOmission() async throws {
        try await withServer { server in
            let result = try await LoadRun.run(plan(server, [.get("/stall/100/600")], .constantRate(rate: 200, duration: .seconds(3), maxInFlight: 2)))
            #expect(result.latency.max >= 500)
            #expect(result.latency.p99 >= 300, "about a fifth of the requests were due during the stall")
            #expect(result.latency.p99 > 3 * result.uncorrectedLatency.p99, "only the two in flight saw it, uncorrected")
        }
    }

    @Test("weighted endpoints share the requests by weight and are recorded apart")
    func endpointsByWeight() async throws {
        try await withServer { server in
            var heavy = Endpoint.get("/ok", name: "ok")
            heavy.weight = 3
            let result = try await LoadRun.run(plan(server, [heavy, .get("/plain", name: "plain")], .closedRequests(users: 4, totalRequests: 400)))
            #expect(result.endpoints.map(\.requests) == [300, 100])
            #expect(result.endpoints[0].server.timedResponses == 300)
            #expect(result.endpoints[1].server.timedResponses == 0, "no Server-Timing header: measured client-side only")
            #expect(result.endpoints[1].latency.count == 100)
        }
    }

    @Test("chunked responses and servers that close after each response are handled")
    func framingAndReconnects() async throws {
        try await withServer { server in
            let result = try await LoadRun.run(plan(server, [.get("/chunked"), .get("/close")], .closedRequests(users: 3, totalRequests: 60)))
            #expect(result.totalRequests == 60)
            #expect(result.successfulRequests == 60)
        }
    }

    @Test("HTTP errors, dropped connections and timeouts are counted by kind and the run still finishes")
    func errorsByKind() async throws {
        try await withServer { server in
            let errors = try await LoadRun.run(plan(server, [.get("/status/503")], .closedRequests(users: 2, totalRequests: 20)))
            #expect(errors.errors[.http5xx] == 20)
            #expect(errors.statusClasses["5xx"]?.count == 20)
            let dropped = try await LoadRun.run(plan(server, [.get("/drop")], .closedRequests(users: 2, totalRequests: 20)))
            // Each request's connection broke without an answer: a read error, or a write error when
            // the close arrived while the request was still being written.
            #expect(dropped.errors[.read] + dropped.errors[.write] == 20, "\(dropped.errors.byName)")
            #expect(dropped.successfulRequests == 0)
            var hanging = plan(server, [.get("/hang")], .closedRequests(users: 2, totalRequests: 4))
            hanging.requestTimeout = .milliseconds(300)
            let timedOut = try await LoadRun.run(hanging)
            #expect(timedOut.errors[.timeout] == 4)
            #expect(timedOut.latency.min >= 300)
        }
    }

    @Test("an unreachable target fails with a clear error instead of hanging")
    func unreachable() async throws {
        // A port bound but never listened on refuses connections, and no other test can take it meanwhile.
        let reserved = try ReservedPort()
        defer { reserved.release() }
        let port = reserved.port
        var plan = LoadPlan(target: LoadTarget(host: "127.0.0.1", port: port), endpoints: [.get("/")], model: .closedRequests(users: 2, totalRequests: 10))
        plan.connectTimeout = .seconds(2)
        do {
            _ = try await LoadRun.run(plan)
            Issue.record("the run should have failed")
        } catch let error as LoadEngineError {
            #expect(error.description.contains("cannot connect to http://127.0.0.1:\(port)"))
            #expect(error.description.contains("refused"))
        }
    }

    @Test("a server that dies mid-run turns into counted errors and a finished result")
    func serverDiesMidRun() async throws {
        try await TestHTTPServer.with { server in
            // The server itself dies at its 20th request, while the run is under way however slow the
            // machine (a test that stopped it from outside could be scheduled after a 2 s run was over).
            let runPlan = plan(server, [.get("/die/20/5")], .closedDuration(users: 4, duration: .seconds(3), thinkTime: .zero))
            let finished = try await LoadRun.run(runPlan)
            #expect(finished.successfulRequests > 0)
            // Connections closed under their requests, then refused reconnects: each a counted transport error.
            #expect(finished.errors.transport > 0, "\(finished.errors.byName), cut off \(finished.cutOffAtEnd), \(finished.connectionStats)")
            #expect(finished.connectionStats.closedByServer > 0 || finished.errors[.read] > 0)
            #expect(finished.errors[.connect] > 0, "nobody listens any more: \(finished.errors.byName)")
            #expect(finished.durationSeconds >= 2.9)
        }
    }

    @Test("a spike ramps users up and back down and finishes on time")
    func spike() async throws {
        try await withServer { server in
            let ramp = UserRamp(startUsers: 1, stages: [
                .init(duration: .milliseconds(500), target: 1), .init(duration: .milliseconds(200), target: 8),
                .init(duration: .milliseconds(500), target: 8), .init(duration: .milliseconds(200), target: 1),
                .init(duration: .milliseconds(500), target: 1),
            ])
            let result = try await LoadRun.run(plan(server, [.get("/sleep/5")], .rampingUsers(ramp, thinkTime: .zero)))
            #expect(result.connections == 8)
            #expect(result.durationSeconds < 20, "ended, not hung")
            #expect(result.totalRequests > 0 && result.errors.total == 0)
        }
    }

    @Test("cancelling a run ends it early with a result marked interrupted")
    func cancellation() async throws {
        try await withServer { server in
            let runPlan = plan(server, [.get("/ok")], .closedDuration(users: 2, duration: .seconds(30), thinkTime: .zero))
            let task = Task { try await LoadRun.run(runPlan) }
            try await server.waitForRequests(20)
            task.cancel()
            let result = try await task.value
            #expect(result.interrupted)
            #expect(result.durationSeconds < 25, "ended early, not after its 30 s")
            #expect(result.totalRequests > 0)
        }
    }
}
