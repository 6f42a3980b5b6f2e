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

    /// The methods served on `path`, as an `Allow` value; nil when no route has that path. As the
    /// router does, a path segment written out outranks a parameter: `/workflows/start` is the
    /// start route's path, not a session ID, whatever the method.
    func allowed(on path: String) -> String? {
        let segments = path.split(separator: "/")
        let matching = served.filter { candidate in
            candidate.segments.count == segments.count && zip(candidate.segments, segments).allSatisfy { $0.0 == nil || $0.0 == $0.1 }
        }
        guard let best = matching.max(by: { Self.lessSpecific($0.segments, than: $1.segments) }) else { return nil }
        var methods = best.methods
        if methods.contains(.get) { methods.insert(.head) }  // the router answers HEAD wherever it answers GET
        return methods.map(\.rawValue).sorted().joined(separator: ", ")
    }

    /// True when `first` has a parameter where `second` first has a written-out segment.
    private static func lessSpecific(_ first: [Substring?], than second: [Substring?]) -> Bool {
        for (a, b) in zip(first, second) where (a == nil) != (b == nil) { return a == nil }
        return false
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
