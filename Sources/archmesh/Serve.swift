import ArchMeshDatabase
import ArchMeshServer
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Observability

/// `archmesh serve`: the reference server, until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the reference server (ArchMesh API on PostgreSQL).",
        discussion: """
            Environment: ARCHMESH_HOST, ARCHMESH_PORT, ARCHMESH_POOL_SIZE stand in for the options;
            DATABASE_URL selects the database. Prints `listening on http://HOST:PORT` (https:// with
            --tls-cert and --tls-key) once it accepts connections (use --port 0 for a free port).
            """)

    @Option(help: "Address to listen on (default 127.0.0.1, or $ARCHMESH_HOST).")
    var host: String?

    @Option(help: "Port to listen on, 0 for any free one (default 8080, or $ARCHMESH_PORT).")
    var port: Int?

    @Option(help: "Most PostgreSQL connections in the pool (default 20, or $ARCHMESH_POOL_SIZE).")
    var poolSize: Int?

    @Option(help: "Milliseconds a request waits for a pooled connection before a 503.")
    var poolTimeoutMs: Int = 2000

    @Option(help: "Requests slower than this many milliseconds are logged with their timings.")
    var slowRequestMs: Int = 500

    @Flag(help: "Log every request with its ID and timings, not only slow ones.")
    var logRequests = false

    @Option(help: "Seconds a connection may stay open with no request under way.")
    var idleTimeout: Double = 60

    @Option(help: "Seconds a request's head may take to arrive once it has begun (else 408).")
    var headerTimeout: Double = 10

    @Option(help: "Seconds a request's body may take to arrive after its head (else 408).")
    var bodyTimeout: Double = 30

    @Option(help: "Most connections open at once; beyond it a new one replaces the one idle longest (default 4096, within the file descriptor limit).")
    var maxConnections: Int = ConnectionLimits().maximumConnections

    @Flag(help: "Add the /_faults routes, to inject latency, errors, leaks, stalls and slow queries (off by default).")
    var enableFaults = false

    @Option(help: "The token /_faults calls must send in X-Fault-Token (default: $ARCHMESH_FAULT_TOKEN, else a new random one, printed).")
    var faultToken: String?

    @Option(help: "Seed this many projects before serving (0: none).")
    var seedProjects: Int = 0

    @Option(help: "Workflow sessions per seeded project, on average.")
    var workflowsPerProject: Double = 0

    @Option(help: ArgumentHelp("Shut down when the process with this PID is no longer our parent (the harness sets it).", visibility: .hidden))
    var exitWithParent: Int32?

    @Option(help: "Serve HTTPS with this certificate chain (PEM; with --tls-key).")
    var tlsCert: String?

    @Option(help: "The private key of --tls-cert (PEM).")
    var tlsKey: String?

    @Flag(help: "Serve HTTP/2: with --tls-cert, h2 by ALPN beside HTTP/1.1; without, h2c by prior knowledge only.")
    var http2 = false

    @Option(help: ArgumentHelp(
        "Limit each client's API requests to this rate, e.g. 100/s or 6000/min (off by default).",
        discussion: "A token bucket per client; beyond it 429 with Retry-After; RateLimit-Policy and RateLimit headers on the API's answers."))
    var rateLimit: String?

    @Option(help: "With --rate-limit: requests a client may send at once before the rate applies (default: one second's worth).")
    var rateLimitBurst: Int?

    @Option(help: "With --rate-limit: whose requests share a bucket: address (the client's IP) or header:NAME (e.g. header:X-API-Key).")
    var rateLimitKey = "address"

    @OptionGroup var logging: LoggingOptions

    /// The `--rate-limit` options as one limit, or nil when off.
    func resolvedRateLimit() throws -> RateLimit? {
        guard let rateLimit else {
            if rateLimitBurst != nil || rateLimitKey != "address" { throw ValidationError("--rate-limit-burst and --rate-limit-key need --rate-limit") }
            return nil
        }
        guard let rate = RequestRate.perSecond(rateLimit) else {
            throw ValidationError("--rate-limit must be a positive count per s, min or hour (100/s, 6000/min), got \(rateLimit)")
        }
        guard let key = RateLimit.key(rateLimitKey) else {
            throw ValidationError("--rate-limit-key must be address or header:NAME, got \(rateLimitKey)")
        }
        let burst = rateLimitBurst ?? max(1, Int(rate.rounded(.up)))
        guard (1...1_000_000).contains(burst) else { throw ValidationError("--rate-limit-burst must be 1 to 1000000, got \(burst)") }
        return RateLimit(rate: rate, burst: burst, key: key)
    }

    func validate() throws {
        _ = try resolvedRateLimit()
        let environment = ProcessInfo.processInfo.environment
        if let port = try resolvedPort(environment), !(0...65_535).contains(port) {
            throw ValidationError("--port must be between 0 and 65535, got \(port)")
        }
        if let size = try resolvedPoolSize(environment), !(1...1000).contains(size) {
            throw ValidationError("--pool-size must be between 1 and 1000, got \(size)")
        }
        guard poolTimeoutMs > 0 else { throw ValidationError("--pool-timeout-ms must be positive, got \(poolTimeoutMs)") }
        guard slowRequestMs >= 0 else { throw ValidationError("--slow-request-ms must be 0 or more, got \(slowRequestMs)") }
        for (name, seconds) in [("--idle-timeout", idleTimeout), ("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout)]
        where !(seconds > 0 && seconds <= 86_400) {
            throw ValidationError("\(name) must be more than 0 and at most 86400 seconds, got \(seconds)")
        }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be 1 to 1000000, got \(maxConnections)") }
        if faultToken != nil && !enableFaults { throw ValidationError("--fault-token needs --enable-faults") }
        if enableFaults, let token = faultToken ?? environment["ARCHMESH_FAULT_TOKEN"] {
            do {
                try FaultInjector.validate(token: token, source: faultToken != nil ? "--fault-token" : "ARCHMESH_FAULT_TOKEN")
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        guard seedProjects >= 0 else { throw ValidationError("--seed-projects must be 0 or more, got \(seedProjects)") }
    }

    func run() async throws {
        let logger = logging.makeLogger(label: "archmesh.server")
        let environment = ProcessInfo.processInfo.environment
        try await DatabaseProvision.with(logger: logger) { provision in
            var configuration = ServerConfiguration(database: provision.url)
            configuration.host = host ?? environment["ARCHMESH_HOST"] ?? ServerConfiguration.defaultHost
            configuration.port = try resolvedPort(environment) ?? ServerConfiguration.defaultPort
            configuration.poolSize = try resolvedPoolSize(environment) ?? ServerConfiguration.defaultPoolSize
            configuration.poolAcquireTimeout = .milliseconds(poolTimeoutMs)
            configuration.slowRequestThreshold = .milliseconds(slowRequestMs)
            configuration.logEveryRequest = logRequests
            configuration.connections.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
            configuration.connections.headerTimeout = .milliseconds(Int64(headerTimeout * 1000))
            configuration.connections.bodyTimeout = .milliseconds(Int64(bodyTimeout * 1000))
            configuration.connections.maximumConnections = FileDescriptorLimit.raise(toFit: maxConnections, logger: logger)
            if let tlsCert, let tlsKey { configuration.tls = (tlsCert, tlsKey) }
            configuration.http2 = http2
            configuration.rateLimit = try resolvedRateLimit()
            let scheme = configuration.tls == nil ? "http" : "https"
            if enableFaults {
                let token = faultToken ?? environment["ARCHMESH_FAULT_TOKEN"] ?? RequestID.generate() + RequestID.generate()
                configuration.faultToken = token
                if faultToken == nil && environment["ARCHMESH_FAULT_TOKEN"] == nil {
                    FileHandle.standardOutput.write(Data("fault token: \(token)\n".utf8))
                }
                logger.warning("fault injection is enabled: /_faults accepts changes from holders of the token")
            }
            if seedProjects > 0 {
                do {
                    try await Migrator.bundled().migrate(provision.url, logger: logger)
                    let summary = try await Seeder().seed(
                        provision.url, options: .init(projects: seedProjects, workflowsPerProject: workflowsPerProject), logger: logger)
                    logger.info("seeded", metadata: ["projects_added": "\(summary.projectsAdded)", "projects": "\(summary.projectsInTable)"])
                } catch {
                    throw CommandFailure.from(error)
                }
            }
            let app = try buildApplication(configuration: configuration, logger: logger) { host, port in
                // One line on stdout, for people and for the harness that starts us as a child process.
                FileHandle.standardOutput.write(Data("listening on \(scheme)://\(host):\(port)\n".utf8))
            }
            if let exitWithParent { ParentWatch.exitWhenGone(exitWithParent) }
            try await app.runService()
        }
    }

    private func resolvedPort(_ environment: [String: String]) throws -> Int? {
        if let port { return port }
        guard let text = environment["ARCHMESH_PORT"] else { return nil }
        guard let value = Int(text) else { throw ValidationError("ARCHMESH_PORT must be a port number, got '\(text)'") }
        return value
    }

    private func resolvedPoolSize(_ environment: [String: String]) throws -> Int? {
        if let poolSize { return poolSize }
        guard let text = environment["ARCHMESH_POOL_SIZE"] else { return nil }
        guard let value = Int(text) else { throw ValidationError("ARCHMESH_POOL_SIZE must be a number, got '\(text)'") }
        return value
    }
}
