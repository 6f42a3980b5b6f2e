/// Everything a run needs: where, what, how much, and how patiently.
public struct LoadPlan: Sendable {
    public var target: LoadTarget
    public var endpoints: [Endpoint]
    public var model: LoadModel
    /// A request without a complete response after this long counts as a timeout.
    public var requestTimeout: Duration = .seconds(10)
    /// A connection not made after this long counts as a connect error.
    public var connectTimeout: Duration = .seconds(3)
    /// A timed run ends at its planned end plus at most this: requests still in flight then are cut
    /// off and counted apart (`cut_off_at_end`), so a server that never answers cannot stretch a run.
    public var gracefulStop: Duration = .seconds(2)
    /// Event-loop threads sending the load (default: half the machine's cores, at least one and at
    /// most one per connection; the other half is left to the server, which usually shares the machine).
    public var threads: Int?
    /// How many of the slowest requests to keep with their IDs and server timings.
    public var exemplars = 10
    /// Eight characters that start every request ID of the run, so its requests can be found in server logs.
    public var runTag: String
    /// How an `https://` target's TLS is spoken (ignored for `http://`).
    public var tls = TLSOptions()
    /// HTTP/2 (`h2` by ALPN over https://, `h2c` by prior knowledge over http://): up to this many
    /// of the model's users share one connection, each request a stream of its own. Nil: HTTP/1.1,
    /// a connection per user.
    public var http2Streams: Int?
    /// Plain HTTP/1.1 runs on the engine's own epoll loop and sockets (`SocketEventLoop`, Linux),
    /// which spend less CPU per request than SwiftNIO's channels; false runs it on SwiftNIO, as
    /// HTTPS and HTTP/2 always are.
    public var ownSocketLoop = true
    /// Called about once a second with every second of the run that is over (each second's window,
    /// merged over the workers, in order; seconds in which nothing finished are absent). A reason
    /// returned stops the run at once, marked aborted with it (`LoadResult.abortReason`).
    public var abortCheck: (@Sendable (_ seconds: [SecondWindow]) -> String?)?
    /// Send a W3C `traceparent` with every request (`TraceParent`): each request a trace of its
    /// own, found again from its request ID. Off: the request carries its `X-Request-ID` only.
    public var traceContext = true
    /// A user journey: what every user repeats, step by step (its steps are the plan's endpoints,
    /// `Journey.endpoints`; the endpoints' weights and paths are then not used). Closed models only:
    /// a journey is a user's, not a rate's. HTTP/1.1 only (plain or HTTPS).
    public var journey: Journey?
    /// A user answered 429 or 503 with a `Retry-After` of seconds sends nothing more until they are
    /// over (at most `longestRetryWait`), as a well-behaved client would; its next request is
    /// counted apart (`RateLimitSummary.afterWaitAccepted`). Off: the schedule alone decides.
    /// Closed models only (`retryAfterNeedsUsers`).
    public var respectRetryAfter = false
    /// The longest `Retry-After` a user waits out: a longer one is waited for this long.
    public static let longestRetryWait: Duration = .seconds(300)
    /// Why an open model cannot wait out `Retry-After`.
    public static let retryAfterNeedsUsers =
        "waiting out Retry-After is for users (a closed model): an open model's requests are due at fixed times whatever the server says"
    /// This process's share of a run spread over several: the model's users whose index is
    /// `shard.index` modulo `shard.count`. Everything a user does follows from its run-wide index
    /// (its requests in an open model, its place in a ramp, its request count, its request IDs), so
    /// the shares together send exactly what one engine would. Nil: every user.
    public var shard: Shard?

    /// One of `count` shares of a run's users.
    public struct Shard: Codable, Sendable, Equatable {
        public var index: Int
        public var count: Int

        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }
    }

    /// The run-wide indices of the users this process runs.
    var userIndices: [Int] {
        guard let shard else { return Array(0..<model.connections) }
        return Array(stride(from: shard.index, to: model.connections, by: shard.count))
    }

    public init(target: LoadTarget, endpoints: [Endpoint], model: LoadModel, runTag: String? = nil) {
        self.target = target
        self.endpoints = endpoints
        self.model = model
        self.runTag = runTag ?? Self.makeRunTag()
    }

    /// Eight random lowercase hex digits.
    public static func makeRunTag() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(String(generator.next() | (1 << 63), radix: 16).prefix(8))
    }

    func validate() throws {
        try model.validate()
        guard !endpoints.isEmpty else { throw LoadEngineError.invalidPlan("a run needs at least one endpoint") }
        for endpoint in endpoints {
            guard !endpoint.paths.isEmpty else { throw LoadEngineError.invalidPlan("endpoint \(endpoint.name) has no path") }
            guard endpoint.weight > 0 else { throw LoadEngineError.invalidPlan("endpoint \(endpoint.name) has weight \(endpoint.weight)") }
        }
        guard runTag.utf8.count == 8, runTag.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 46 || $0 == 95 || ($0 >= 65 && $0 <= 90) }) else {
            throw LoadEngineError.invalidPlan("the run tag must be 8 characters of [A-Za-z0-9._-], got '\(runTag)'")
        }
        guard requestTimeout > .zero, connectTimeout > .zero, tls.handshakeTimeout > .zero else { throw LoadEngineError.invalidPlan("timeouts must be positive") }
        guard gracefulStop >= .zero else { throw LoadEngineError.invalidPlan("the graceful stop must not be negative") }
        if let http2Streams, !(1...1_000).contains(http2Streams) {
            throw LoadEngineError.invalidPlan("streams per HTTP/2 connection must be 1 to 1000, got \(http2Streams)")
        }
        if respectRetryAfter, model.isOpen {
            throw LoadEngineError.invalidPlan(Self.retryAfterNeedsUsers)
        }
        if let journey {
            guard !model.isOpen else {
                throw LoadEngineError.invalidPlan("a journey is what each user repeats: give users (users with a duration, stages of users or a spike), not a rate")
            }
            guard http2Streams == nil else { throw LoadEngineError.invalidPlan("journeys speak HTTP/1.1 (plain or over TLS), not HTTP/2") }
            guard endpoints.map(\.name) == journey.steps.map(\.name) else {
                throw LoadEngineError.invalidPlan("a journey's plan records its steps as its endpoints (Journey.endpoints)")
            }
        }
        if let threads, threads < 1 { throw LoadEngineError.invalidPlan("threads must be at least 1, got \(threads)") }
        if let shard {
            guard shard.count >= 1, (0..<shard.count).contains(shard.index) else {
                throw LoadEngineError.invalidPlan("share \(shard.index) of \(shard.count) does not exist")
            }
            guard shard.count <= model.connections else {
                throw LoadEngineError.invalidPlan("\(shard.count) shares of \(model.connections) users: every share needs a user")
            }
        }
    }

    /// The order in which a connection takes endpoints: each appears as often as its weight.
    var endpointSequence: [Int] {
        endpoints.indices.flatMap { Array(repeating: $0, count: endpoints[$0].weight) }
    }
}
