import HTTPTypes
import Hummingbird

/// `GET|PUT|DELETE /_faults`: read, set and clear injected faults. Registered only when the server
/// runs with `--enable-faults`, and every call must carry the fault token in `X-Fault-Token`.
struct FaultsController: Sendable {
    let injector: FaultInjector
    let maximumBodyBytes: Int

    static let tokenHeader = HTTPField.Name("X-Fault-Token")!

    struct State: ResponseEncodable, Sendable {
        var settings: FaultSettings
        var leakedBytes: Int

        enum CodingKeys: String, CodingKey {
            case settings
            case leakedBytes = "leaked_bytes"
        }
    }

    /// Mounted at `/_faults`.
    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get(use: show)
        routes.put(use: set)
        routes.delete(use: clear)
        return routes
    }

    private func authorize(_ request: Request) throws {
        guard let sent = request.headers[Self.tokenHeader], Self.constantTimeEqual(sent, injector.token) else {
            throw APIError(.forbidden, code: "forbidden", message: "X-Fault-Token is missing or wrong",
                           fields: [FieldError(field: "X-Fault-Token", message: "must be the token the server was started with")])
        }
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> State {
        try authorize(request)
        return State(settings: injector.settings, leakedBytes: injector.leakedBytes)
    }

    @Sendable func set(_ request: Request, context: AppRequestContext) async throws -> State {
        try authorize(request)
        let settings = try FaultSettings(try await request.jsonObject(limit: maximumBodyBytes))
        injector.apply(settings)
        context.logger.warning("fault settings changed", metadata: ["settings": "\(settings)"])
        return State(settings: injector.settings, leakedBytes: injector.leakedBytes)
    }

    @Sendable func clear(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        try authorize(request)
        injector.clear()
        context.logger.warning("fault settings cleared")
        return .noContent
    }

    static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8), b = Array(right.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
