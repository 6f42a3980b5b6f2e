import LoadEngine
import NIOSSL
import TargetMonitoring

/// The server's own counts from its `/metrics`: requests it answered (its `/metrics` scrapes left
/// out) and queries it ran.
public struct ServerCounters: Sendable, Equatable {
    public var requests: Int
    public var queries: Int
    /// The most connections the server's pool opens (`db_pool_connections_max`), when it says.
    public var poolSize: Int?

    public init(requests: Int, queries: Int, poolSize: Int? = nil) {
        self.requests = requests
        self.queries = queries
        self.poolSize = poolSize
    }

    public static func read(from target: LoadTarget, tls: TLSConfiguration? = nil) async -> ServerCounters? {
        guard let response = try? await HTTPFetch.send("GET", target.description + "/metrics", timeout: .seconds(5), tls: tls), response.status == 200 else {
            return nil
        }
        return parse(response.text)
    }

    /// The counts in a `/metrics` text; nil when they are not counts (negative or absurdly large).
    public static func parse(_ text: String) -> ServerCounters? {
        let byRoute = PrometheusText.byLabel("http_server_request_duration_seconds_count", label: "route", in: text)
        let requests = byRoute.filter { $0.key != "/metrics" }.values.reduce(0, +)
        let queries = PrometheusText.sum("db_query_duration_seconds_count", in: text)
        guard let requests = PrometheusText.wholeNumber(requests), let queries = PrometheusText.wholeNumber(queries) else { return nil }
        // A server without the gauge sums to 0: no pool size.
        let poolSize = PrometheusText.wholeNumber(PrometheusText.sum("db_pool_connections_max", in: text))
        return ServerCounters(requests: requests, queries: queries, poolSize: poolSize.flatMap { $0 > 0 ? $0 : nil })
    }
}
