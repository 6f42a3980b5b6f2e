/// One kind of request a run sends (an endpoint, in the report's words): a method, one or more
/// paths taken in turn, headers and a body. Each is encoded to bytes once, before the run.
public struct Endpoint: Sendable, Equatable {
    /// The label results are grouped under, e.g. `GET /api/v1/projects`.
    public var name: String
    public var method: String
    /// Paths (with query) relative to the target; a connection cycles through them.
    public var paths: [String]
    public var headers: [Header]
    public var body: [UInt8]?
    /// Relative share of the requests (an endpoint of weight 2 is sent twice as often as one of weight 1).
    public var weight: Int

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(name: String? = nil, method: String = "GET", paths: [String], headers: [Header] = [], body: [UInt8]? = nil, weight: Int = 1) {
        self.method = method.uppercased()
        self.paths = paths
        self.name = name ?? "\(method.uppercased()) \(paths.first?.split(separator: "?").first.map(String.init) ?? "/")"
        self.headers = headers
        self.body = body
        self.weight = weight
    }

    /// A GET (or other bodiless request) of one path.
    public static func get(_ path: String, name: String? = nil) -> Endpoint {
        Endpoint(name: name, method: "GET", paths: [path])
    }

    /// A request with a JSON body.
    public static func json(_ method: String, _ path: String, body: String, name: String? = nil) -> Endpoint {
        Endpoint(name: name, method: method, paths: [path], headers: [Header(name: "Content-Type", value: "application/json")], body: Array(body.utf8))
    }
}
