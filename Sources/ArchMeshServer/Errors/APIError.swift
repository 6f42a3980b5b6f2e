import Foundation
import HTTPTypes
import Hummingbird

/// One invalid field of a request, named as the client sent it.
public struct FieldError: Codable, Sendable, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Every error the API answers with: `{"error": {"code", "message", "fields"}}` and a 4xx or 5xx status.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var fields: [FieldError]
    /// Extra response headers, such as `Allow` on a 405.
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, fields: [FieldError] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers
    }

    private struct Body: Encodable {
        struct Content: Encodable {
            var code: String
            var message: String
            var fields: [FieldError]
        }
        var error: Content
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The JSON response for this error.
    public func response() -> Response {
        let data = (try? AppRequestContext.encoder.encode(Body(error: .init(code: code, message: message, fields: fields)))) ?? Data()
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    /// 422: the request is well formed but some fields are not acceptable.
    public static func validation(_ fields: [FieldError]) -> APIError {
        let names = fields.map(\.field).joined(separator: ", ")
        return APIError(.unprocessableContent, code: "validation_failed", message: "invalid fields: \(names)", fields: fields)
    }

    /// 422 for one field.
    public static func invalid(_ field: String, _ message: String) -> APIError {
        validation([FieldError(field: field, message: message)])
    }

    /// 400: the body is not JSON at all.
    public static func malformedJSON(_ detail: String) -> APIError {
        APIError(.badRequest, code: "malformed_json", message: "request body is not valid JSON: \(detail)",
                 fields: [FieldError(field: "body", message: "must be a JSON object")])
    }

    /// 404 for a resource that does not exist.
    public static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", message: "\(what) not found")
    }

    /// The resource a lookup found, or a 404 naming `what`.
    static func found<Resource>(_ resource: Resource?, _ what: @autoclosure () -> String) throws -> Resource {
        guard let resource else { throw notFound(what()) }
        return resource
    }

    /// 413: the body is larger than the server accepts.
    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "payload_too_large", message: "request body is larger than \(limit) bytes",
                 fields: [FieldError(field: "body", message: "must be at most \(limit) bytes")])
    }

    /// 503: the database cannot be reached right now.
    public static func databaseUnavailable(_ detail: String) -> APIError {
        APIError(.serviceUnavailable, code: "database_unavailable", message: "database unavailable: \(detail)", headers: [.retryAfter: "1"])
    }

    /// 500 without details; the details go to the log, under the request's ID.
    public static func `internal`(requestID: String) -> APIError {
        APIError(.internalServerError, code: "internal_error", message: "internal error; see the server log for request \(requestID)")
    }
}
