import ArchMeshDatabase
@testable import ArchMeshServer
import Foundation
import HummingbirdTesting
import Observability
import Testing
import TestSupport

@Suite("Health routes")
struct HealthRouteTests {
    @Test("the health endpoint checks the database and answers healthy")
    func healthy() async throws {
        try await TestApp.withRouter { client in
            let response = try await client.send(.get, "/api/v1/health")
            #expect(response.status == .ok)
            let body = try response.decoded(JSONValue.self)
            guard case .object(let health) = body, case .object(let checks)? = health["checks"], case .object(let database)? = checks["database"] else {
                Issue.record("unexpected body \(body)")
                return
            }
            #expect(health["status"] == .string("healthy"))
            #expect(health["version"] == .string(ArchMeshVersion.current))
            #expect(database["status"] == .string("healthy"))
            #expect(response.serverTiming?.queryCount == 1)
        }
    }

    @Test("liveness and readiness answer 200 with their status")
    func liveAndReady() async throws {
        try await TestApp.withRouter { client in
            let live = try await client.send(.get, "/health/live")
            #expect(live.status == .ok)
            #expect(String(buffer: live.body).contains(#""status":"alive""#))
            let ready = try await client.send(.get, "/health/ready")
            #expect(ready.status == .ok)
            #expect(String(buffer: ready.body).contains(#""status":"ready""#))
        }
    }

    @Test("with the database out of reach, health answers 503 unhealthy within the pool timeout")
    func unhealthyWhenDatabaseIsDown() async throws {
        let port = try FreePort.loopback()
        var configuration = ServerConfiguration(database: DatabaseURL(host: "127.0.0.1", port: port, username: "nobody", password: "secret", database: "none"))
        configuration.migrateOnStart = false
        configuration.poolAcquireTimeout = .milliseconds(300)
        let app = try buildApplication(configuration: configuration, logger: TestDatabase.logger)
        try await app.test(.router) { client in
            let started = ContinuousClock.now
            let health = try await client.send(.get, "/api/v1/health")
            #expect(health.status == .serviceUnavailable)
            #expect(String(buffer: health.body).contains(#""status":"unhealthy""#))
            #expect(ContinuousClock.now - started < .seconds(30), "answered, not hung")
            let ready = try await client.send(.get, "/health/ready")
            #expect(ready.status == .serviceUnavailable)
            #expect(String(buffer: ready.body).contains(#""status":"not_ready""#))
            let list = try await client.send(.get, "/api/v1/projects")
            #expect(list.status == .serviceUnavailable)
            #expect(list.errorBody?.error.code == "database_unavailable")
        }
    }
}
