import ArgumentParser
import Foundation
import LiveDashboard
import LoadEngine
import PerfSuite

/// `archmesh load URL`: an ad-hoc run, the way wrk, hey and oha are used.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send load to one URL and print latency, throughput and errors.",
        discussion: """
            Closed model by default (each connection sends again once answered): --requests M sends M in all,
            --duration D sends for D. With --rate R (and --duration), requests are due at R per second whatever
            the server does, and latency is measured from when each was due (coordinated omission corrected).
            Durations: 500ms, 10s, 2m. Only loopback targets, unless --allow-remote.
            """)

    @Argument(help: "The URL to load, e.g. http://127.0.0.1:8080/api/v1/health or https://localhost:8443/api/v1/health.")
    var url: String

    @Option(name: [.short, .long], help: "Connections (closed model: users; open model: most requests in flight).")
    var connections: Int = 32

    @Option(name: [.customShort("n"), .long], help: "Requests to send in all (closed model).")
    var requests: Int?

    @Option(name: [.short, .long], help: "How long to send (closed or open model).", transform: parseDuration)
    var duration: Duration?

    @Option(name: [.customShort("R"), .long], help: "Requests per second (open model); needs --duration.")
    var rate: Double?

    @OptionGroup var request: RequestOptions

    @Option(help: "Request timeout.", transform: parseDuration)
    var timeout: Duration = .seconds(10)

    @Option(help: "Event-loop threads (default: half the cores, at least one, at most one per connection).")
    var threads: Int?

    @Flag(help: "Plain HTTP/1.1 on SwiftNIO's event loops instead of the engine's own socket loop (to compare the two, or if the own loop misbehaves on this system).")
    var swiftnioLoop = false

    @Flag(help: ArgumentHelp(
        "Each connection waits out a 429's or 503's Retry-After before its next request, as a well-behaved client would.",
        discussion: "At most \(Int(LoadPlan.longestRetryWait.components.seconds)) s. Not with --rate: an open model's requests are due at fixed times."))
    var respectRetryAfter = false

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    @Flag(help: "Allow a target that is not on this machine's loopback.")
    var allowRemote = false

    @OptionGroup(title: "HTTP/2")
    var http2: HTTP2Options

    @OptionGroup(title: "Dashboard")
    var dashboard: DashboardOptions

    @OptionGroup var trace: TraceContextOption

    @OptionGroup(title: "HTTPS")
    var tls: TLSClientOptions

    static func parseDuration(_ text: String) throws -> Duration {
        guard let duration = DurationText.parse(text), duration > .zero else {
            throw ValidationError("'\(text)' is not a duration such as 500ms, 10s or 2m")
        }
        return duration
    }

    func validate() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1, got \(connections)") }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1, got \(requests)") }
        if let rate {
            guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be a positive number of requests per second, got \(rate)") }
            guard duration != nil else { throw ValidationError("--rate needs --duration (how long to keep the rate)") }
            guard requests == nil else { throw ValidationError("--rate and --requests cannot be combined: the open model runs for a duration") }
        } else if requests != nil && duration != nil {
            throw ValidationError("give --requests or --duration, not both")
        }
        if respectRetryAfter && rate != nil { throw ValidationError("--respect-retry-after: " + LoadPlan.retryAfterNeedsUsers) }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() async throws {
        let (target, path): (LoadTarget, String)
        do {
            (target, path) = try LoadTarget.split(url: url)
            try target.requireLoopback(allowRemote: allowRemote)
        } catch let error as LoadEngineError {
            throw CommandFailure.badUsage(error.description)
        }
        let endpoint = request.endpoint(path: path)
        let model: LoadModel
        if let rate, let duration {
            model = .constantRate(rate: rate, duration: duration, maxInFlight: connections)
        } else if let duration {
            model = .closedDuration(users: connections, duration: duration, thinkTime: .zero)
        } else {
            model = .closedRequests(users: connections, totalRequests: requests ?? connections * 100)
        }
        var plan = LoadPlan(target: target, endpoints: [endpoint], model: model)
        plan.requestTimeout = timeout
        plan.threads = threads
        plan.ownSocketLoop = !swiftnioLoop
        plan.tls = tls.options
        plan.http2Streams = http2.streamsPerConnection
        plan.traceContext = !trace.noTraceContext
        plan.respectRetryAfter = respectRetryAfter
        let described = "\(request.method) \(target)\(path)"
        let live = try await dashboard.start(DashboardFeed(load: described, model: model))
        let progress = ProgressLine()
        let result: LoadResult
        do {
            let runPlan = plan
            result = try await Interrupts.cancellingOnSignals {
                try await LoadRun.run(runPlan) { now in
                    progress.show(now)
                    live?.feed.progress(now)
                }
            }
        } catch {
            progress.clear()
            await live?.finish(interrupted: true, reportHTML: nil)
            if let error = error as? LoadEngineError { throw CommandFailure(message: error.description, exitStatus: .failed) }
            throw error
        }
        progress.clear()
        let summary = LoadSummaryText.render(result, request: described)
        if let live {
            live.feed.finished(result, request: described)
            await live.finish(interrupted: result.interrupted, reportHTML: DashboardPage.textReport(title: "archmesh load: \(described)", text: summary))
        }
        if json {
            print(String(decoding: try ReportCoding.encoder.encode(result), as: UTF8.self))
        } else {
            print(summary)
        }
    }
}
