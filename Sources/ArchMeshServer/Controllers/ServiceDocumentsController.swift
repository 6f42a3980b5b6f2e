import Hummingbird

/// `GET /metrics` (Prometheus text) and `GET /openapi.json`.
struct ServiceDocumentsController: Sendable {
    let metrics: ServerMetrics
    /// The OpenAPI document this server serves (its fault routes only when it has them).
    let document: [UInt8]?

    /// Mounted at the root.
    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("metrics", use: prometheus)
        routes.get("openapi.json", use: openAPI)
        return routes
    }

    @Sendable func prometheus(_ request: Request, context: AppRequestContext) async throws -> Response {
        let text = metrics.render()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let document else { throw APIError(.internalServerError, code: "internal_error", message: "openapi.json is missing from the bundle") }
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: document)))
    }
}
