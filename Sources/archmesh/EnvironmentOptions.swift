import ArchMeshDatabase
import ArgumentParser
import Foundation
import LoadEngine
import Logging
import Observability
import PerfSuite

/// What a scenario runs against: the reference server the command starts (with faults, for
/// proofs), or a server the user runs (`--target`, over HTTPS or HTTP/2 if it speaks them).
struct EnvironmentOptions: ParsableArguments {
    @Option(help: "Use this running server instead of starting one (e.g. http://127.0.0.1:8080).")
    var target: String?

    @Flag(help: "Allow a target that is not on this machine's loopback.")
    var allowRemote = false

    @Flag(help: ArgumentHelp(
        "Serve the reference server over HTTPS, with a throwaway certificate made for the run (the load trusts it, nothing else does).",
        discussion: "With --http2, the load speaks h2 to it by ALPN. Its files are removed when the run ends."))
    var tls = false

    @OptionGroup(title: "HTTPS (with an https:// target)")
    var tlsClient: TLSClientOptions

    @OptionGroup(title: "HTTP/2")
    var http2: HTTP2Options

    @Option(help: ArgumentHelp(
        "Start the reference server with these faults set (the JSON PUT /_faults takes), e.g. '{\"latency_ms\": 5}'.",
        discussion: "For proofs and demonstrations: a slowed server to see a regression flagged, an erroring one to see thresholds fail."))
    var serverFaults: String?

    @Option(help: ArgumentHelp(
        "Start the reference server with its rate limiter on (serve --rate-limit), e.g. 100/s.",
        discussion: "What a rate_limit scenario observes; per client address, answered 429 with Retry-After and the IETF RateLimit headers beyond it."))
    var serverRateLimit: String?

    @Option(help: "The limiter's burst (serve --rate-limit-burst; default: a second's worth).")
    var serverRateLimitBurst: Int?

    static let http2NeedsTLS = "--http2 against the server this command starts needs --tls (without TLS it serves h2c alone, and the harness's own calls need HTTP/1.1)"

    func validate() throws {
        if serverFaults != nil && target != nil { throw ValidationError("--server-faults is for the server this command starts; with --target, set faults on your server") }
        if tls && target != nil { throw ValidationError("--tls is for the server this command starts; give your server's https:// URL as --target") }
        if (serverRateLimit != nil || serverRateLimitBurst != nil) && target != nil {
            throw ValidationError("--server-rate-limit is for the server this command starts; with --target, limit your own server")
        }
        if let rate = serverRateLimit, RequestRate.perSecond(rate) == nil {
            throw ValidationError("--server-rate-limit is requests per time, such as 100/s or 6000/min; got '\(rate)'")
        }
        if serverRateLimitBurst != nil && serverRateLimit == nil { throw ValidationError("--server-rate-limit-burst needs --server-rate-limit") }
        if let burst = serverRateLimitBurst, burst < 1 { throw ValidationError("--server-rate-limit-burst must be at least 1, got \(burst)") }
    }

    /// With `--target`: that server; otherwise PostgreSQL and `archmesh serve` started here, the
    /// server's log at `serverLog`.
    /// `serverHost`: where the started server listens (loopback unless workers run in namespaces of their own).
    func makeEnvironment(serverLog: URL, serverHost: String = "127.0.0.1", logger: Logger) async throws -> any TargetEnvironment {
        if let target {
            do {
                let loadTarget = try LoadTarget(url: target)
                try loadTarget.requireLoopback(allowRemote: allowRemote)
                let database = try ProcessInfo.processInfo.environment["DATABASE_URL"].map(DatabaseURL.init(parsing:))
                return RemoteEnvironment(target: loadTarget, database: database, tls: tlsClient.options, http2Streams: http2.streamsPerConnection)
            } catch let error as LoadEngineError {
                throw CommandFailure.badUsage(error.description)
            } catch {
                throw CommandFailure.from(error)
            }
        }
        if http2.http2 && !tls { throw CommandFailure.badUsage(Self.http2NeedsTLS) }
        do {
            return try await LocalEnvironment.start(
                executable: ServerProcess.currentExecutable, serverLog: serverLog, faults: serverFaults,
                transport: .init(
                    tls: tls, http2Streams: http2.streamsPerConnection, host: serverHost, rateLimit: serverRateLimit, rateLimitBurst: serverRateLimitBurst),
                logger: logger)
        } catch {
            throw CommandFailure.from(error)
        }
    }
}
