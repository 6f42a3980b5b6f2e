import Foundation
import Hummingbird
import Logging

/// `/api/v1/health` (a real database check, 503 when it fails), `/health/live` and `/health/ready`.
struct HealthController: Sendable {
    let database: TimedDatabase
    let version: String
    let environment: String

    struct Check: Encodable, Sendable {
        var status: String
        var details: [String: String]
    }

    struct Health: ResponseEncodable, Sendable {
        var status: String
        var timestamp: String
        var version: String
        var environment: String
        var checks: [String: Check]
    }

    struct Liveness: ResponseEncodable, Sendable {
        var status: String
        var timestamp: String
        var version: String
    }

    /// The API's health check, mounted at `/api/v1/health`.
    var apiEndpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self).get(use: health)
    }

    /// Liveness and readiness, mounted at `/health`.
    var probeEndpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("live", use: live)
        routes.get("ready", use: ready)
        return routes
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Health> {
        await report(context, up: "healthy", down: "unhealthy")
    }

    @Sendable func live(_ request: Request, context: AppRequestContext) async throws -> Liveness {
        Liveness(status: "alive", timestamp: Timestamp.iso8601(Date()), version: version)
    }

    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Health> {
        await report(context, up: "ready", down: "not_ready")
    }

    /// The database checked, as 200 with `up` or 503 with `down`.
    private func report(_ context: AppRequestContext, up: String, down: String) async -> EditedResponse<Health> {
        let database = await checkDatabase(context)
        let healthy = database.status == "healthy"
        return EditedResponse(
            status: healthy ? .ok : .serviceUnavailable,
            response: Health(
                status: healthy ? up : down, timestamp: Timestamp.iso8601(Date()), version: version, environment: environment,
                checks: ["database": database]))
    }

    /// `SELECT 1` through the pool, like the original's check.
    private func checkDatabase(_ context: AppRequestContext) async -> Check {
        do {
            try await database.withConnection(context.timings, logger: context.logger) { connection in
                _ = try await connection.query("SELECT 1", name: "health.select_1")
            }
            return Check(status: "healthy", details: ["message": "database connection successful"])
        } catch {
            let reason = APIError.from(error, requestID: context.requestID, logger: context.logger).message
            return Check(status: "unhealthy", details: ["message": reason])
        }
    }
}
