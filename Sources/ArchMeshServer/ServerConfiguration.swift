import ArchMeshDatabase

/// Everything `archmesh serve` can be told, with the defaults it uses.
public struct ServerConfiguration: Sendable {
    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 8080
    public static let defaultPoolSize = 20
    public static let defaultMaximumBodyBytes = 64 * 1024

    /// Address to listen on; loopback by default. Port 0 picks a free one (announced on start).
    public var host = defaultHost
    public var port = defaultPort
    /// The database; the caller resolves `DATABASE_URL` or the embedded cluster.
    public var database: DatabaseURL
    /// Most connections the pool opens to PostgreSQL.
    public var poolSize = defaultPoolSize
    /// How long a request waits for a pooled connection before it is answered 503.
    public var poolAcquireTimeout: Duration = .seconds(2)
    /// Requests slower than this are logged with their timings.
    public var slowRequestThreshold: Duration = .milliseconds(500)
    /// Log every request (with its ID and timings), not only slow ones.
    public var logEveryRequest = false
    /// Request bodies larger than this are answered 413.
    public var maximumBodyBytes = defaultMaximumBodyBytes
    /// Apply the schema migrations before listening.
    public var migrateOnStart = true
    /// Reported by the health endpoint, as the original does.
    public var environment = "development"
    /// The fault token, when faults are enabled (`--enable-faults`); nil leaves the fault routes out.
    public var faultToken: String?
    /// Timeouts for idle connections and slow requests, and the most connections open at once.
    public var connections = ConnectionLimits()
    /// HTTPS: the server's certificate chain and private key (PEM files); nil serves plain HTTP.
    public var tls: (certificateChain: String, privateKey: String)?
    /// HTTP/2: with `tls`, `h2` by ALPN beside HTTP/1.1; without, `h2c` by prior knowledge only. The
    /// connection guard's timeouts and limit are HTTP/1's; HTTP/2 connections close when idle.
    public var http2 = false
    /// A token bucket per client on the API's routes (`--rate-limit`); nil: no limit.
    public var rateLimit: RateLimit?

    public init(database: DatabaseURL) {
        self.database = database
    }
}
