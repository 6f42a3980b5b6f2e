import HTTPTypes
import Hummingbird

/// Answers 405, with an `Allow` header, for a request whose path the API serves but not with its
/// method, whatever the method (TRACE, OPTIONS, HEAD or one of its own); Hummingbird's router alone
/// says 404. Added after every route, so that it wraps only the router's not-found answer.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// One served path: its segments (`nil` for a `{parameter}`) and the methods it answers.
    private struct ServedPath {
        var segments: [Substring?]
        var methods: Set<HTTPRequest.Method>
    }

    private let served: [ServedPath]

    /// The table of every route of `router` so far.
    init(routesOf router: Router<AppRequestContext>) {
        var byPath: [String: ServedPath] = [:]
        for route in router.routes {
            let text = route.path.description
            let segments = text.split(separator: "/").map { $0.hasPrefix("{") || $0.hasPrefix(":") ? nil : $0 }
            byPath[text, default: ServedPath(segments: segments, methods: [])].methods.insert(route.method)
        }
        served = Array(byPath.values)
    }

    /// The methods served on `path`, as an `Allow` value; nil when no route has that path.
    func allowed(on path: String) -> String? {
        let segments = path.split(separator: "/")
        var methods = Set<HTTPRequest.Method>()
        for candidate in served where candidate.segments.count == segments.count {
            if zip(candidate.segments, segments).allSatisfy({ $0.0 == nil || $0.0 == $0.1 }) { methods.formUnion(candidate.methods) }
        }
        return methods.isEmpty ? nil : methods.map(\.rawValue).sorted().joined(separator: ", ")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allow = allowed(on: request.uri.path) else { throw error }
            throw APIError(
                .methodNotAllowed, code: "method_not_allowed", message: "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(allow)",
                headers: [.allow: allow])
        }
    }
}
