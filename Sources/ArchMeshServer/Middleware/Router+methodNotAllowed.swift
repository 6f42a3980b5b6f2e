import HTTPTypes
import Hummingbird

extension Router where Context == AppRequestContext {
    /// Answers 405, with an `Allow` header, for a known path asked with a method it does not serve
    /// (Hummingbird's router alone would say 404). Call it after every route is added.
    func addMethodNotAllowedResponders() {
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
        var served: [String: Set<HTTPRequest.Method>] = [:]
        for route in routes { served[route.path.description, default: []].insert(route.method) }
        for (path, allowed) in served {
            let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            for method in methods where !allowed.contains(method) {
                on(RouterPath(path), method: method) { request, _ -> Response in
                    throw APIError(
                        .methodNotAllowed, code: "method_not_allowed",
                        message: "\(request.method.rawValue) is not allowed on \(path); allowed: \(allow)",
                        headers: [.allow: allow])
                }
            }
        }
    }
}
