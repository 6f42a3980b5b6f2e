import ArchMeshDatabase
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Observability
import Logging
import NIOCore
import PostgresNIO

/// Builds the reference server: the router, the PostgreSQL pool and the migrations, as one
/// Hummingbird application whose services (the pool, the connection guard) run in its ServiceGroup.
///
/// `onListening` receives the bound address, which matters when the port was 0. Throws when the
/// database's TLS settings cannot be honoured.
public func buildApplication(
    configuration: ServerConfiguration,
    logger: Logger,
    onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
) throws -> some ApplicationProtocol {
    let metrics = ServerMetrics()
    let pool = try ConnectionPool(
        database: configuration.database, maximumConnections: configuration.poolSize, acquireTimeout: configuration.poolAcquireTimeout,
        metrics: metrics, logger: logger)
    let database = TimedDatabase(pool: pool, metrics: metrics)
    let router = buildRouter(configuration: configuration, database: database, metrics: metrics)
    let connections = ConnectionRegistry(limits: configuration.connections, metrics: metrics)
    var app = Application(
        router: router,
        server: try serverBuilder(configuration, connections: connections),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        services: [pool, connections],
        onServerRunning: { channel in
            let address = channel.localAddress
            await onListening(address?.ipAddress ?? configuration.host, address?.port ?? configuration.port)
        },
        logger: logger)
    if configuration.migrateOnStart {
        let url = configuration.database
        app.beforeServerStarts {
            try await Migrator.bundled().migrate(url, logger: logger)
        }
    }
    return app
}

/// How connections are served: HTTP/1 behind the connection guard, over TLS or not, or HTTP/2.
func serverBuilder(_ configuration: ServerConfiguration, connections: ConnectionRegistry) throws -> HTTPServerBuilder {
    let tls = try configuration.tls.map { try ServerTLS.configuration(certificateChain: $0.certificateChain, privateKey: $0.privateKey) }
    let http2 = HTTP2ChannelConfiguration(idleTimeout: configuration.connections.idleTimeout)
    switch (tls, configuration.http2) {
    case (let tls?, true): return try .http2Upgrade(tlsConfiguration: tls, configuration: http2)
    case (nil, true): return .plaintextHTTP2(configuration: http2)
    case (let tls?, false): return try .tls(.guardedHTTP1(registry: connections), tlsConfiguration: tls)
    case (nil, false): return .guardedHTTP1(registry: connections)
    }
}

/// The router with every route of the API, `/metrics` and `/openapi.json`, and 405 answers for known
/// paths asked with other methods.
func buildRouter(configuration: ServerConfiguration, database: TimedDatabase, metrics: ServerMetrics) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(
        middleware: ObservabilityMiddleware(
            metrics: metrics,
            slowRequestNanoseconds: configuration.slowRequestThreshold.nanoseconds,
            logEveryRequest: configuration.logEveryRequest))
    if let limit = configuration.rateLimit {
        router.add(middleware: RateLimitMiddleware(limiter: RateLimiter(limit), metrics: metrics))
    }
    if let token = configuration.faultToken {
        let injector = FaultInjector(token: token)
        router.add(middleware: FaultMiddleware(injector: injector, database: database))
        router.addRoutes(FaultsController(injector: injector, maximumBodyBytes: configuration.maximumBodyBytes).endpoints, atPath: "/_faults")
    }
    let health = HealthController(database: database, version: ArchMeshVersion.current, environment: configuration.environment)
    router.addRoutes(health.apiEndpoints, atPath: "/api/v1/health")
    router.addRoutes(health.probeEndpoints, atPath: "/health")
    let body = configuration.maximumBodyBytes
    router.addRoutes(ProjectsController(repository: ProjectRepository(database: database), maximumBodyBytes: body).endpoints, atPath: "/api/v1/projects")
    router.addRoutes(WorkflowsController(repository: WorkflowRepository(database: database), maximumBodyBytes: body).endpoints, atPath: "/api/v1/workflows")
    let document = try? OpenAPIDocument.bytes(includingFaults: configuration.faultToken != nil)
    router.addRoutes(ServiceDocumentsController(metrics: metrics, document: document).endpoints)
    // Last: it wraps only the not-found answer of requests no route above took.
    router.add(middleware: MethodNotAllowedMiddleware(routesOf: router))
    return router
}
