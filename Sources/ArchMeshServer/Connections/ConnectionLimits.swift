/// How long a connection may take over each part of a request, and how many may be open: what
/// keeps slow or idle clients from holding the server's connections and file descriptors.
public struct ConnectionLimits: Sendable, Equatable {
    /// A connection with no request under way is closed after this (default 60 s).
    public var idleTimeout: Duration = .seconds(60)
    /// A request's head must arrive whole within this of its first byte (default 10 s); else 408.
    public var headerTimeout: Duration = .seconds(10)
    /// A request's body must arrive whole within this of its head (default 30 s); else 408.
    public var bodyTimeout: Duration = .seconds(30)
    /// Most connections open at once (default 4096, and never more than the file descriptors allow).
    /// A new one beyond it takes the place of the connection idle longest; with none idle, it is
    /// answered 503 and closed.
    public var maximumConnections = 4096

    public init() {}
}
