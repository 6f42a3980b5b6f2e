import Foundation
import LoadEngine

/// An ad-hoc run's summary for a terminal, in the spirit of wrk's: latency percentiles (corrected
/// and not), the server's timings when it sent them, throughput and errors by kind.
public enum LoadSummaryText {
    public static func render(_ result: LoadResult, request: String) -> String {
        var lines: [String] = []
        let model = result.openModel ? "open model (latency from the intended send time)" : "closed model"
        lines.append("\(result.interrupted ? "Interrupted" : "Ran") \(format(result.durationSeconds, 2))s against \(request)")
        if let streams = result.http2StreamsPerConnection {
            lines.append("  \(result.connections) users over HTTP/2, up to \(streams) streams per connection (\(result.connectionStats.opened) connections opened), \(result.threads) threads, \(model)")
            if result.connectionStats.goAways + result.connectionStats.streamsReset > 0 {
                lines.append("  HTTP/2: \(result.connectionStats.goAways) GOAWAY received, \(result.connectionStats.streamsReset) streams reset by the server")
            }
        } else {
            lines.append("  \(result.connections) connections, \(result.threads) threads, \(model)")
        }
        lines.append("")
        lines.append("  " + pad("Latency (ms)", 14) + ["p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"].map { pad($0, 9, right: true) }.joined())
        lines.append("  " + pad(result.openModel ? "corrected" : "client", 14) + row(result.latency))
        if result.openModel { lines.append("  " + pad("uncorrected", 14) + row(result.uncorrectedLatency)) }
        let timed = result.endpoints.reduce(0) { $0 + $1.server.timedResponses }
        if timed > 0, result.endpoints.count == 1, let server = result.endpoints.first?.server {
            lines.append("  " + pad("server app", 14) + row(server.app))
            lines.append("  " + pad("server db", 14) + row(server.database))
            lines.append("  " + pad("server pool", 14) + row(server.pool))
            lines.append("  " + pad("outside app", 14) + row(server.remainder))
        }
        if result.endpoints.count > 1 {
            lines.append("")
            lines.append("  " + pad("Endpoint", 34) + pad("requests", 10, right: true) + pad("p50", 9, right: true) + pad("p99", 9, right: true) + pad("app p99", 9, right: true))
            for endpoint in result.endpoints {
                lines.append("  " + pad(endpoint.name, 34) + pad("\(endpoint.requests)", 10, right: true) + pad(format(endpoint.latency.p50, 2), 9, right: true)
                    + pad(format(endpoint.latency.p99, 2), 9, right: true) + pad(endpoint.server.timedResponses > 0 ? format(endpoint.server.app.p99, 2) : "-", 9, right: true))
            }
        }
        lines.append("")
        lines.append("  \(result.totalRequests) requests in \(format(result.durationSeconds, 2))s, \(format(result.requestsPerSecond, 1)) requests/s, \(format(result.successRatePercent, 2))% successful")
        let errors = ErrorKind.allCases.map { "\($0.rawValue) \(result.errors[$0])" }.joined(separator: ", ")
        lines.append("  Errors: \(errors)")
        if result.openModel {
            lines.append("  Schedule: \(result.lateRequests) sent more than 1 ms late (worst \(format(result.worstLatenessMilliseconds, 1)) ms), \(result.unsentRequests) never sent")
        }
        if let tls = result.tls {
            lines.append("  TLS: \(tls.handshakes) handshakes, p50 \(format(tls.handshake.p50, 2)) ms, p99 \(format(tls.handshake.p99, 2)) ms, max \(format(tls.handshake.max, 2)) ms")
            for (reason, count) in tls.failures.sorted(by: { $0.value > $1.value }) { lines.append("  TLS failure x\(count): \(reason)") }
            if tls.verificationSkipped { lines.append("  WARNING: --insecure: the server's certificate was not checked; anyone could have answered") }
        }
        if result.rateLimit != nil {
            lines += RateLimitText.lines(result, RateLimitObservation(load: result, expectation: RateLimitExpectation(requireHeaders: false)))
        }
        if let engine = result.engine {
            var check = "  Engine: busiest thread \(format(engine.busiestThreadPercent, 0))% of a core"
            if let intended = engine.intendedRate { check += ", \(format(engine.achievedRate, 1)) of \(format(intended, 1)) requests/s intended" }
            if let late = engine.sendLateness { check += ", sends late p99 \(format(late.p99, 2)) ms" }
            if let timer = engine.timerLateness { check += " (its own timers p99 \(format(timer.p99, 2)) ms)" }
            lines.append(check)
            for warning in engine.warnings { lines.append("  WARNING: \(warning)") }
        }
        if timed < result.totalRequests && timed > 0 {
            lines.append("  \(result.totalRequests - timed) responses had no Server-Timing header (measured client-side only)")
        }
        return lines.joined(separator: "\n")
    }

    private static func row(_ summary: LatencySummary) -> String {
        [summary.p50, summary.p90, summary.p99, summary.p999, summary.p9999, summary.max, summary.mean].map { pad(format($0, 2), 9, right: true) }.joined()
    }

    static func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        guard text.count < width else { return text + " " }
        let padding = String(repeating: " ", count: width - text.count)
        return right ? padding + text : text + padding
    }
}
