import ArgumentParser
import Foundation
import LiveDashboard
import LoadEngine
import Logging
import PerfSuite
import RunHistory

/// `archmesh capacity`: the highest arrival rate that meets every objective, what gives first above
/// it, and how throughput scales with concurrency.
struct Capacity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the highest request rate that meets objectives such as p99<50ms, and what gives first.",
        discussion: """
            Holds open-model arrival rates (latency from each request's intended send time): grows the rate
            x--growth from --start-rate until an objective fails, bisects between the last good and first bad
            rate to --resolution, then holds the answer a second time. Then a closed-model sweep (users 1, 2,
            4, ...) fitted with the Universal Scalability Law. Either one URL (like `load`) or a scenario's
            endpoint mix (--scenario) against the reference server started here, or a --target.
            Exit codes: 0 an answer, 1 no rate met the objectives or the load engine was the limit, 2 bad usage.
            """)

    @Argument(help: "The URL to load (or give --scenario).")
    var url: String?

    @Option(help: "A scenario's endpoint mix (a key of the scenario file) instead of one URL.")
    var scenario: String?

    @Option(help: "A scenario file (YAML) instead of the built-in one, with --scenario.")
    var config: String?

    @Option(name: .customLong("slo"), help: "An objective every hold must meet (repeatable): p99<50ms, p95<=0.2s, mean<20ms, max<1s, errors<1%.")
    var objectives: [String] = []

    @Option(help: "How long each rate is held.", transform: Load.parseDuration)
    var hold: Duration = .seconds(10)

    @Option(help: "The first rate held, requests per second.")
    var startRate: Double = 10

    @Option(help: "Factor by which the rate grows while every objective holds.")
    var growth: Double = 2

    @Option(help: "Stop bisecting when the last good and first bad rates are within this many percent.")
    var resolution: Double = 5

    @Option(help: "The highest rate tried, requests per second.")
    var maxRate: Double = 100_000

    @Option(name: [.customShort("c"), .long], help: "Requests in flight at most (connections).")
    var maxInFlight: Int = 256

    @Option(help: "The concurrency sweep's users, comma-separated.", transform: parseUsers)
    var sweepUsers: [Int] = [1, 2, 4, 8, 16, 32, 64]

    @Option(help: "How long each concurrency of the sweep is held.", transform: Load.parseDuration)
    var sweepHold: Duration = .seconds(5)

    @Flag(help: "Skip the concurrency sweep.")
    var noSweep = false

    @Option(help: "Request timeout.", transform: Load.parseDuration)
    var timeout: Duration = .seconds(10)

    @Option(help: "Load engine threads (default: half the cores).")
    var threads: Int?

    @Flag(help: "Print the result as one JSON object on stdout.")
    var json = false

    @Flag(help: "Do not record this search in the history (`archmesh history`).")
    var noHistory = false

    @Option(help: "Also write the result as a self-contained HTML page.")
    var html: String?

    @OptionGroup var request: RequestOptions

    @OptionGroup var environment: EnvironmentOptions

    @OptionGroup var dashboard: DashboardOptions

    @OptionGroup var trace: TraceContextOption

    @OptionGroup var logging: LoggingOptions

    static func parseUsers(_ text: String) throws -> [Int] {
        let users = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !users.isEmpty, users.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 100_000 }) else {
            throw ValidationError("'\(text)' is not a comma-separated list of user counts such as 1,2,4,8")
        }
        return users.map { $0! }
    }

    /// The objectives as given, or the defaults.
    func parsedObjectives() throws -> [ServiceObjective] {
        do {
            return try (objectives.isEmpty ? ["p99<100ms", "errors<1%"] : objectives).map(ServiceObjective.parse)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func validate() throws {
        guard (url == nil) != (scenario == nil) else { throw ValidationError("give a URL or --scenario KEY (one of them)") }
        if url != nil && (config != nil || environment.target != nil || environment.serverFaults != nil || environment.tls) {
            throw ValidationError("--config, --target, --tls and --server-faults go with --scenario; a URL is loaded as it is")
        }
        if scenario != nil && request.isSet {
            throw ValidationError("--method, --header and --body go with a URL; a scenario sends its own endpoints")
        }
        _ = try parsedObjectives()
        guard startRate >= CapacitySearch.defaultFloor, startRate.isFinite else {
            throw ValidationError("--start-rate must be at least \(CapacitySearch.defaultFloor) requests per second, got \(startRate)")
        }
        guard growth > 1, growth <= 100 else { throw ValidationError("--growth must be more than 1 and at most 100, got \(growth)") }
        guard resolution > 0, resolution < 100 else { throw ValidationError("--resolution must be a percentage above 0 and below 100, got \(resolution)") }
        guard maxRate >= startRate, maxRate.isFinite else { throw ValidationError("--max-rate must be at least --start-rate, got \(maxRate)") }
        guard (1...100_000).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be 1 to 100000, got \(maxInFlight)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let html {
            // Found before a search of minutes, not after it.
            let directory = URL(fileURLWithPath: html).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: directory) else {
                throw ValidationError("--html \(html): the folder \(directory) does not exist or cannot be written")
            }
        }
    }

    func run() async throws {
        var options = CapacityOptions(objectives: try parsedObjectives())
        options.hold = hold
        options.startRate = startRate
        options.growth = growth
        options.resolution = resolution / 100
        options.maxRate = maxRate
        options.maxInFlight = maxInFlight
        options.sweepUsers = noSweep ? [] : sweepUsers
        options.sweepHold = sweepHold

        let logger = logging.makeLogger(label: "archmesh.capacity")
        var targetEnvironment: (any TargetEnvironment)?
        var plan: LoadPlan
        if let url {
            let (target, path): (LoadTarget, String)
            do {
                (target, path) = try LoadTarget.split(url: url)
                try target.requireLoopback(allowRemote: environment.allowRemote)
            } catch let error as LoadEngineError {
                throw CommandFailure.badUsage(error.description)
            }
            plan = LoadPlan(target: target, endpoints: [request.endpoint(path: path)], model: .closedRequests(users: 1, totalRequests: 1))
            plan.tls = environment.tlsClient.options
            plan.http2Streams = environment.http2.streamsPerConnection
        } else {
            let suite: SuiteConfiguration
            let chosen: Scenario
            do {
                suite = try config.map(SuiteConfiguration.load(path:)) ?? SuiteConfiguration.builtIn()
                guard let found = suite.scenarios.first(where: { $0.key == scenario }) else {
                    throw CommandFailure.badUsage("'\(scenario!)' is not a scenario of \(suite.source); it has \(suite.scenarios.map(\.key).joined(separator: ", "))")
                }
                guard found.journey == nil else {
                    throw CommandFailure.badUsage(
                        "'\(found.key)' is a journey, which users repeat; capacity holds arrival rates of requests: give a URL or a scenario of endpoints")
                }
                chosen = found
            } catch let error as ConfigurationError {
                throw CommandFailure.badUsage(error.description)
            }
            let made = try await environment.makeEnvironment(
                serverLog: URL(fileURLWithPath: "archmesh-capacity.server.log"), logger: logger)
            targetEnvironment = made
            do {
                let prepared = try await CapacityRun.plan(for: chosen, in: suite, environment: made, logger: logger)
                plan = prepared.plan
                if let note = prepared.note { printStatus("note: \(note)") }
            } catch {
                await made.stop()
                throw CommandFailure.from(error)
            }
        }
        plan.requestTimeout = timeout
        plan.threads = threads
        plan.traceContext = !trace.noTraceContext

        let live: LiveView?
        do {
            live = try await dashboard.start(DashboardFeed(capacity: plan.target.description))
        } catch {
            await targetEnvironment?.stop()
            throw error
        }
        printStatus(CapacityText.opening(target: plan.target.description, endpoints: plan.endpoints.map(\.name), options: options))
        printStatus(CapacityText.stepHeader())
        let json = self.json
        let report: CapacityReport
        do {
            let runPlan = plan, runOptions = options, key = scenario
            report = try await Interrupts.cancellingOnSignals {
                try await CapacityRun.run(runPlan, options: runOptions, scenario: key) { event in
                    live?.feed.handle(event, objectives: runOptions.objectives)
                    switch event {
                    case .step(let step): Self.printStatus(CapacityText.stepRow(step), json: json)
                    case .sweepStarted: Self.printStatus("\nConcurrency sweep (closed model)\n" + CapacityText.sweepHeader(), json: json)
                    case .sweep(let step): Self.printStatus(CapacityText.sweepRow(step), json: json)
                    case .holdStarted, .sweepHoldStarted, .progress: break
                    }
                }
            }
        } catch {
            await live?.finish(interrupted: true, reportHTML: nil)
            await targetEnvironment?.stop()
            switch error {
            case is CancellationError: throw ExitCode(ExitStatus.interrupted)
            // Bad plans only: an unreachable target ends the search with what it measured.
            case let error as LoadEngineError: throw CommandFailure(message: error.description, exitStatus: .failed)
            default: throw error
            }
        }
        await targetEnvironment?.stop()
        await live?.finish(interrupted: false, reportHTML: CapacityHTML.render(report))
        // The result first: a page that cannot be written must not lose a search of minutes.
        if json {
            print(String(decoding: try ReportCoding.encoder.encode(report), as: UTF8.self))
        } else {
            print("")
            print(CapacityText.conclusion(report))
        }
        if let html {
            do {
                try CapacityHTML.render(report).write(toFile: html, atomically: true, encoding: .utf8)
                printStatus("HTML: \(html)")
            } catch {
                throw CommandFailure(message: "cannot write \(html): \(error)", exitStatus: .failed)
            }
        }
        if !noHistory { await record(report, logger: logger) }
        if report.maxSustainableRPS == nil { throw ExitCode(ExitStatus.failed) }
    }

    /// Records the search; a history that cannot be reached is a warning, never a failure.
    private func record(_ report: CapacityReport, logger: Logger) async {
        let page = html.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        guard let recorded = await History.record("search", logger: logger, { try await $0.record(report, reportFile: page) }) else { return }
        printStatus("Recorded as run \(recorded.id) in the history (\(recorded.place)), key \(HistoryStore.capacityKey(report)).")
    }

    /// Progress goes to stderr with --json (stdout is the JSON alone), to stdout otherwise.
    private func printStatus(_ line: String) {
        Self.printStatus(line, json: json)
    }

    private static func printStatus(_ line: String, json: Bool) {
        if json {
            // What stdout holds so far goes first: the two may be one file (2>&1).
            fflush(nil)
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            print(line)
        }
    }
}
