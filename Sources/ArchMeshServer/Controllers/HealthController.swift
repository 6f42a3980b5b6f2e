import Foundation
import Hummingbird
import Logging

/// `/api/v1/health` (a real database check, 503 when it fails), `/health/live` and `/health/ready`.
struct HealthController: Sendable {
    let database: TimedDatabase
    let version: String
    let environment: String

    struct Check: Sendable {
        var status: String
        var message: String
    }

    struct Health: JSONBody, Sendable {
        var status: String
        var timestamp: String
        var version: String
        var environment: String
        var database: Check

        /// `{checks: {database: {details: {message}, status}}, environment, status, timestamp, version}`.
        func write(to json: inout JSONWriter) {
            json.beginObject()
            json.key("checks")
            json.beginObject()
            json.key("database")
            json.beginObject()
            json.key("details")
            json.beginObject()
            json.key("message"); json.string(database.message)
            json.endObject()
            json.key("status"); json.string(database.status)
            json.endObject()
            json.endObject()
            json.key("environment"); json.string(environment)
            json.key("status"); json.string(status)
            json.key("timestamp"); json.string(timestamp)
            json.key("version"); json.string(version)
            json.endObject()
        }
    }

    struct Liveness: JSONBody, Sendable {
        var status: String
        var timestamp: String
        var version: String

        func write(to json: inout JSONWriter) {
            json.beginObject()
            json.key("status"); json.string(status)
            json.key("timestamp"); json.string(timestamp)
            json.key("version"); json.string(version)
            json.endObject()
        }
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
                database: database))
    }

    /// `SELECT 1` through the pool, like the original's check.
    private func checkDatabase(_ context: AppRequestContext) async -> Check {
        do {
            try await database.withConnection(context.timings, logger: context.logger) { connection in
                _ = try await connection.execute(HealthCheckQuery())
            }
            return Check(status: "healthy", message: "database connection successful")
        } catch {
            let reason = APIError.from(error, requestID: context.requestID, logger: context.logger).message
            return Check(status: "unhealthy", message: reason)
        }
    }
}
