import HTTPTypes
import Hummingbird
import Logging
import Observability

extension HTTPField.Name {
    static let requestID = HTTPField.Name(RequestID.headerName)!
    static let serverTiming = HTTPField.Name(ServerTiming.headerName)!
    static let traceParent = HTTPField.Name(TraceParent.headerName)!
    static let traceResponse = HTTPField.Name(TraceParent.responseHeaderName)!
}

/// The outermost middleware: it gives every request its ID, turns every error into the API's error
/// body, writes `X-Request-ID` and `Server-Timing` on every response, records the request metrics,
/// and logs slow requests (or all of them, when asked) with their timings. A request that came with
/// a valid W3C `traceparent` has its trace ID in that log line, and its response names the trace and
/// the server's span in it (`traceresponse`).
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let metrics: ServerMetrics
    let slowRequestNanoseconds: UInt64
    let logEveryRequest: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = MonotonicClock.nanoseconds()
        var context = context
        if let sent = request.headers[.requestID], RequestID.isWellFormed(sent) {
            context.requestID = sent
        } else {
            context.requestID = RequestID.generate()
        }
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        // The server's span in the caller's trace. Its ID goes into the request's log line when it
        // is written, not onto the request's logger: setting logger metadata costs the server about
        // 4% of its throughput on a small request (measured with perf), and requests are many.
        let trace = request.headers[.traceParent].flatMap { TraceParent.parse($0) }.map {
            TraceParent(traceID: $0.traceID, parentID: RequestID.generate(), sampled: $0.sampled)
        }
        metrics.requestStarted()
        defer { metrics.requestFinished() }

        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = APIError.from(error, requestID: context.requestID, logger: context.logger).response()
        }
        let elapsed = MonotonicClock.nanoseconds() &- start
        let timing = context.timings.serverTiming(appNanoseconds: elapsed)
        response.headers[.requestID] = context.requestID
        response.headers[.serverTiming] = timing.headerValue
        if let trace { response.headers[.traceResponse] = trace.headerValue }

        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code, nanoseconds: elapsed)
        if logEveryRequest || elapsed >= slowRequestNanoseconds {
            var metadata: Logger.Metadata = [
                "method": .string(request.method.rawValue), "path": .string(request.uri.path), "route": .string(route),
                "status": .stringConvertible(response.status.code), "app_ms": .string(ServerTiming.format(timing.appMilliseconds)),
                "db_ms": .string(ServerTiming.format(timing.databaseMilliseconds)),
                "pool_ms": .string(ServerTiming.format(timing.poolMilliseconds)), "queries": .stringConvertible(timing.queryCount),
            ]
            if let trace { metadata["trace_id"] = .string(trace.traceID) }
            context.logger.log(
                level: elapsed >= slowRequestNanoseconds ? .warning : .info, elapsed >= slowRequestNanoseconds ? "slow request" : "request",
                metadata: metadata)
        }
        return response
    }
}
