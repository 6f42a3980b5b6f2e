import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    static let rateLimit = HTTPField.Name("RateLimit")!
    static let rateLimitPolicy = HTTPField.Name("RateLimit-Policy")!
}

/// `--rate-limit`: the API's requests (under `/api/`; the health probes, `/metrics` and the
/// document are never limited) take a token from their client's bucket or are answered 429 with
/// `Retry-After`; every answer of a limited route says the policy and what is left (the IETF
/// `RateLimit-Policy` and `RateLimit` headers). Refusals are counted in `/metrics`.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let limiter: RateLimiter
    let metrics: ServerMetrics
    /// The header that keys the buckets, when it is one: made once, not per request.
    private let keyHeader: HTTPField.Name?

    init(limiter: RateLimiter, metrics: ServerMetrics) {
        self.limiter = limiter
        self.metrics = metrics
        if case .header(let name) = limiter.limit.key { keyHeader = HTTPField.Name(name) } else { keyHeader = nil }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/") else { return try await next(request, context) }
        let client: String
        switch limiter.limit.key {
        case .address: client = context.remoteAddress ?? "unknown"
        case .header: client = keyHeader.flatMap { request.headers[$0] } ?? ""
        }
        switch limiter.take(client) {
        case .allowed(let remaining, let fullIn):
            var response = try await next(request, context)
            response.headers[.rateLimitPolicy] = limiter.limit.policyHeader
            response.headers[.rateLimit] = "\"archmesh\";r=\(remaining);t=\(fullIn)"
            return response
        case .refused(let retryAfter):
            metrics.recordRateLimited()
            return APIError(
                .tooManyRequests, code: "rate_limited", message: "Too many requests: at most \(limiter.limit.policyHeader); try again in \(retryAfter) s",
                headers: [
                    .retryAfter: String(retryAfter), .rateLimitPolicy: limiter.limit.policyHeader, .rateLimit: "\"archmesh\";r=0;t=\(retryAfter)",
                ]
            ).response()
        }
    }
}
