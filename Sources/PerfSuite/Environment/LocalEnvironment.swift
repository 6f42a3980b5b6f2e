import ArchMeshDatabase
import Foundation
import LoadEngine
import Logging
import Synchronization
import TargetMonitoring

/// Everything on this machine, made for the run and removed after it: an embedded PostgreSQL
/// (or `DATABASE_URL`'s), migrated, and the reference server as a child process.
public final class LocalEnvironment: TargetEnvironment {
    public let provision: DatabaseProvision
    private let options: ServerProcess.Options
    /// Faults set on every server this environment starts (`run --server-faults`).
    private let faults: String?
    private let current: Mutex<ServerProcess>
    /// True when `auto_explain` was set on the database: plans can be read from PostgreSQL's log.
    private let plansEnabled: Bool

    private init(provision: DatabaseProvision, server: ServerProcess, options: ServerProcess.Options, faults: String?, http2Streams: Int?, plansEnabled: Bool) {
        self.provision = provision
        self.plansEnabled = plansEnabled
        self.options = options
        self.faults = faults
        self.http2Streams = http2Streams
        current = Mutex(server)
    }

    /// The server running now (a restart between repetitions replaces it).
    public var server: ServerProcess { current.withLock { $0 } }

    /// How the server this environment starts speaks: HTTPS with a throwaway certificate, and
    /// HTTP/2 with this many streams per connection (with TLS: the harness's own calls need HTTP/1.1,
    /// which the server speaks beside h2 over TLS, and not beside h2c).
    public struct Transport: Sendable {
        public var tls = false
        public var http2Streams: Int?
        /// The address the server listens on (see `ServerProcess.Options.host`).
        public var host = "127.0.0.1"
        /// `serve --rate-limit` and `--rate-limit-burst`: the API limited per client (off when nil).
        public var rateLimit: String?
        public var rateLimitBurst: Int?

        public init(tls: Bool = false, http2Streams: Int? = nil, host: String = "127.0.0.1", rateLimit: String? = nil, rateLimitBurst: Int? = nil) {
            self.tls = tls
            self.http2Streams = http2Streams
            self.host = host
            self.rateLimit = rateLimit
            self.rateLimitBurst = rateLimitBurst
        }
    }

    /// Brings the database up, migrates it and starts the server; on failure leaves nothing running.
    /// `faults` (the JSON `PUT /_faults` takes) are set on the server at every start.
    public static func start(
        executable: String, serverLog: URL, enableFaults: Bool = false, faults: String? = nil, transport: Transport = Transport(), logger: Logger
    ) async throws -> LocalEnvironment {
        precondition(transport.http2Streams == nil || transport.tls, "HTTP/2 to the reference server goes over TLS")
        let serverTLS = try transport.tls ? ServerTLS.makeThrowaway() : nil
        let provision: DatabaseProvision
        do {
            provision = try await DatabaseProvision.resolve(logger: logger)
        } catch {
            serverTLS?.remove()
            throw error
        }
        do {
            try await Migrator.bundled().migrate(provision.url, logger: logger)
            var plansEnabled = false
            if provision.logFile != nil {
                // A cluster archmesh runs (embedded, or `archmesh db`): statistics for the report's
                // per-statement figures (its clusters preload the module), and plans of a sample of
                // the server's executions, set before the server opens its sessions.
                try await StatementSnapshot.enable(in: provision.url, logger: logger)
                if let reason = await PlanCapture.enable(in: provision.url, logger: logger) { logger.warning("\(reason)") } else { plansEnabled = true }
            }
            var options = ServerProcess.Options(
                executable: executable, database: provision.url, logFile: serverLog)
            options.enableFaults = enableFaults || faults != nil
            options.tls = serverTLS
            options.http2 = transport.http2Streams != nil
            options.host = transport.host
            options.rateLimit = transport.rateLimit
            options.rateLimitBurst = transport.rateLimitBurst
            let server = try await startServer(options, faults: faults)
            return LocalEnvironment(
                provision: provision, server: server, options: options, faults: faults, http2Streams: transport.http2Streams, plansEnabled: plansEnabled)
        } catch {
            await provision.release()
            serverTLS?.remove()
            throw error
        }
    }

    public var tls: TLSOptions { options.tls?.clientOptions ?? TLSOptions() }
    public let http2Streams: Int?

    public var target: LoadTarget { server.target }
    public var ownsData: Bool { provision.origin == .embedded }
    public var databaseLog: String? { plansEnabled ? provision.logFile?.path : nil }
    public var serverPID: Int32? { server.pid }
    public var database: DatabaseURL? { provision.url }
    public var serverLog: String? { server.logFile.path }

    public var monitorSource: ResourceMonitor.Source {
        .processes(server: .single(server.pid), postgres: provision.embedded?.postmasterPID.map { .withChildren(of: $0) })
    }

    public var summary: String {
        "reference server (pid \(server.pid)) at \(server.target) on \(provision.origin.rawValue) \(provision.url)"
            + (options.tls != nil ? " (throwaway TLS certificate)" : "")
            + (http2Streams.map { " over HTTP/2 (\($0) streams per connection)" } ?? "")
    }

    public func stop() async {
        await server.stop()
        // The `archmesh db` cluster outlives the run: its database is left as it was found.
        if provision.origin == .persistent { await PlanCapture.disable(in: provision.url, logger: Logger(label: "archmesh.environment")) }
        await provision.release()
        options.tls?.remove()
    }

    public func restartServer() async throws -> Bool {
        await server.stop()
        let fresh = try await Self.startServer(options, faults: faults)
        current.withLock { $0 = fresh }
        return true
    }

    private static func startServer(_ options: ServerProcess.Options, faults: String?) async throws -> ServerProcess {
        let server = try await ServerProcess.start(options)
        guard let faults else { return server }
        do {
            try await server.setFaults(faults)
        } catch {
            await server.stop()
            throw error
        }
        return server
    }
}

/// A server the user runs (`--target URL`): watched through its `/metrics`; its database reachable
/// only when `DATABASE_URL` says where it is.
public struct RemoteEnvironment: TargetEnvironment {
    public let target: LoadTarget
    public let database: DatabaseURL?
    public let tls: TLSOptions
    public let http2Streams: Int?

    public init(target: LoadTarget, database: DatabaseURL?, tls: TLSOptions = TLSOptions(), http2Streams: Int? = nil) {
        self.target = target
        self.database = database
        self.tls = tls
        self.http2Streams = http2Streams
    }

    public var monitorSource: ResourceMonitor.Source { .metrics(baseURL: target.description, tls: sideChannelTLS) }
    public var serverLog: String? { nil }
    public var summary: String {
        "server at \(target)" + (database.map { " with database \($0)" } ?? "")
            + (http2Streams.map { " over HTTP/2 (\($0) streams per connection)" } ?? "")
            + (target.scheme == .https && tls.insecure ? " (TLS certificate NOT checked: --insecure)" : "")
    }
    public func stop() async {}
    public func restartServer() async throws -> Bool { false }
}
