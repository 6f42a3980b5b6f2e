import Crypto
import Foundation
import LoadEngine
import Observability
import Yams

/// The suite as a scenario file describes it: thresholds by type, named endpoints, and scenarios.
public struct SuiteConfiguration: Sendable {
    public var thresholds: [ScenarioType: Thresholds]
    public var endpoints: [String: EndpointSpec]
    public var scenarios: [Scenario]
    /// Where it was read from ("built-in" for the packaged default).
    public var source: String
    /// SHA-256 of the file's text, hex: two runs of one scenario file have the same.
    public var digest = ""

    /// The packaged default: `Sources/PerfSuite/Resources/scenarios.yaml`.
    public static func builtIn() throws -> SuiteConfiguration {
        try parse(builtInText(), file: "built-in scenarios.yaml")
    }

    /// The built-in scenario file's text.
    public static func builtInText() throws -> String {
        guard let url = Bundle.module.url(forResource: "scenarios", withExtension: "yaml") else {
            throw ConfigurationError(file: "scenarios.yaml", place: "bundle", message: "the built-in scenario file is missing")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Reads a scenario file; every problem is a `ConfigurationError` naming the file and place.
    public static func load(path: String) throws -> SuiteConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, place: "file", message: "cannot be read (does it exist?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, place: "file", message: "is not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// Parses scenario-file text.
    public static func parse(_ text: String, file: String) throws -> SuiteConfiguration {
        let document: Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        }
        let root = YAMLNode(document: document, file: file)
        _ = try root.mapping(allowed: ["thresholds", "endpoints", "scenarios"])

        var thresholds: [ScenarioType: Thresholds] = [:]
        // Optional: a file of rate-limit scenarios alone needs no limits by type.
        for (key, node) in root["thresholds"].isPresent ? try root["thresholds"].mapping() : [:] {
            guard let type = ScenarioType(rawValue: key) else {
                throw node.fail("'\(key)' is not a scenario type; expected one of \(ScenarioType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            thresholds[type] = try readThresholds(node)
        }
        var endpoints: [String: EndpointSpec] = [:]
        for (name, node) in root["endpoints"].isPresent ? try root["endpoints"].mapping() : [:] {
            _ = try node.mapping(allowed: ["method", "path", "body"])
            let method = try node["method"].string().uppercased()
            guard ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"].contains(method) else {
                throw node["method"].fail("'\(method)' is not one of GET, POST, PUT, PATCH, DELETE, HEAD")
            }
            let path = try node["path"].string()
            guard path.hasPrefix("/") else { throw node["path"].fail("must start with /, got '\(path)'") }
            endpoints[name] = EndpointSpec(method: method, path: path, body: node["body"].isPresent ? try node["body"].string() : nil)
        }
        var scenarios: [Scenario] = []
        for node in try root["scenarios"].list() {
            let scenario = try readScenario(node, thresholds: thresholds, endpoints: endpoints)
            if scenarios.contains(where: { $0.key == scenario.key }) { throw node["key"].fail("'\(scenario.key)' is used by an earlier scenario") }
            scenarios.append(scenario)
        }
        guard !scenarios.isEmpty else { throw root["scenarios"].fail("no scenarios") }
        var configuration = SuiteConfiguration(thresholds: thresholds, endpoints: endpoints, scenarios: scenarios, source: file)
        configuration.digest = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        return configuration
    }

    private static func readThresholds(_ node: YAMLNode) throws -> Thresholds {
        let keys = Set(Thresholds.CodingKeys.allCases.map(\.fileName))
        _ = try node.mapping(allowed: keys)
        func limit(_ key: Thresholds.CodingKeys, _ range: ClosedRange<Double>) throws -> Double? {
            node[key.fileName].isPresent ? try node[key.fileName].double(in: range) : nil
        }
        return Thresholds(
            maxAverageMs: try limit(.maxAverageMs, 0...3_600_000), maxP95Ms: try limit(.maxP95Ms, 0...3_600_000),
            minRPS: try limit(.minRPS, 0...10_000_000), maxCPUPercent: try limit(.maxCPUPercent, 0...100),
            maxMemoryMB: try limit(.maxMemoryMB, 0...10_000_000), minSuccessPercent: try limit(.minSuccessPercent, 0...100),
            maxErrorRatePercent: try limit(.maxErrorRatePercent, 0...100))
    }

    private static let scenarioKeys: Set<String> = [
        "key", "name", "description", "type", "severity", "endpoints", "users", "requests_per_user", "duration", "think_time",
        "spike", "rate", "max_in_flight", "dataset", "thresholds", "stages", "start_users", "start_rate", "pattern", "objectives",
        "rate_limit", "flow", "variables", "database",
    ]

    private static func readScenario(_ node: YAMLNode, thresholds: [ScenarioType: Thresholds], endpoints: [String: EndpointSpec]) throws -> Scenario {
        _ = try node.mapping(allowed: scenarioKeys)
        let key = try node["key"].string()
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw node["key"].fail("must be letters, digits, _ or -, got '\(key)'")
        }
        let type = try node["type"].choice(ScenarioType.self)
        // Rate-limit and database scenarios are judged by their own checks; limits by type are optional for them.
        guard let base = thresholds[type] ?? ([.rateLimit, .database].contains(type) ? Thresholds() : nil) else {
            throw node["type"].fail("no thresholds are given for type '\(type.rawValue)'")
        }
        var shares: [EndpointShare] = []
        var journey: Journey?
        if node["flow"].isPresent {
            if node["endpoints"].isPresent { throw node["endpoints"].fail("a journey's steps are its requests; give flow: or endpoints:, not both") }
            journey = try readJourney(flow: node["flow"], variables: node["variables"])
        } else if node["variables"].isPresent {
            throw node["variables"].fail("variables are for a journey's templates; give them with flow:")
        }
        for entry in journey == nil ? try node["endpoints"].list() : [] {
            let share: EndpointShare
            if entry.isScalar {
                share = EndpointShare(name: try entry.string(), weight: 1)
            } else {
                _ = try entry.mapping(allowed: ["name", "weight"])
                share = EndpointShare(name: try entry["name"].string(), weight: entry["weight"].isPresent ? try entry["weight"].int(in: 1...1000) : 1)
            }
            guard endpoints[share.name] != nil else {
                throw entry.fail("'\(share.name)' is not an endpoint; the file defines \(endpoints.keys.sorted().joined(separator: ", "))")
            }
            shares.append(share)
        }
        guard !shares.isEmpty || journey != nil else { throw node["endpoints"].fail("needs at least one endpoint, or a flow: of steps") }
        let dataset: Dataset? = try node["dataset"].isPresent ? {
            _ = try node["dataset"].mapping(allowed: ["projects", "workflows_per_project"])
            return Dataset(
                projects: try node["dataset"]["projects"].int(in: 0...100_000_000),
                workflowsPerProject: node["dataset"]["workflows_per_project"].isPresent ? try node["dataset"]["workflows_per_project"].double(in: 0...100) : 0)
        }() : nil
        var scenario = Scenario(
            key: key, name: node["name"].isPresent ? try node["name"].string() : key,
            description: node["description"].isPresent ? try node["description"].string() : "",
            type: type, severity: try node["severity"].choice(Severity.self), endpoints: shares, load: try readLoad(node),
            dataset: dataset, thresholds: base.overridden(by: node["thresholds"].isPresent ? try readThresholds(node["thresholds"]) : nil))
        if node["objectives"].isPresent { scenario.objectives = try node["objectives"].list().map(readObjective) }
        if let journey {
            if scenario.loadModel().isOpen {
                throw node["flow"].fail("a journey is what each user repeats: give users (with a duration, requests_per_user, stages of users or a spike), not a rate")
            }
            scenario.journey = journey
        }
        if node["rate_limit"].isPresent {
            guard type == .rateLimit else { throw node["rate_limit"].fail("rate_limit: belongs to a scenario of type rate_limit, this one is \(type.rawValue)") }
            scenario.rateLimit = try readRateLimit(node["rate_limit"])
            if scenario.rateLimit?.respectRetryAfter == true, scenario.loadModel().isOpen {
                throw node["rate_limit"]["respect_retry_after"].fail(LoadPlan.retryAfterNeedsUsers + "; give users")
            }
        } else if type == .rateLimit {
            scenario.rateLimit = RateLimitExpectation()
        }
        if node["database"].isPresent {
            guard type == .database else { throw node["database"].fail("database: belongs to a scenario of type database, this one is \(type.rawValue)") }
            _ = try node["database"].mapping(allowed: ["min_ratio"])
            var expectation = DatabaseLoadExpectation()
            let ratio = node["database"]["min_ratio"]
            if ratio.isPresent {
                let value = try ratio.double(in: 0...1_000_000)
                guard value > 0 else { throw ratio.fail("is the least ratio of the API's throughput to its database's, above 0 (such as 0.5)") }
                expectation.minRatio = value
            }
            scenario.database = expectation
        } else if type == .database {
            scenario.database = DatabaseLoadExpectation()
        }
        if type == .database {
            // The replay runs each user's statements back to back, as pgbench clients: the API's
            // part must load it the same way to be compared.
            guard journey == nil else { throw node["flow"].fail("a database scenario replays the statements of endpoints: give endpoints:, not a flow:") }
            guard scenario.fixedUsers != nil else {
                throw node["type"].fail("a database scenario compares the API and its database at the same concurrency: give users with a duration or requests_per_user (not a rate, stages or a spike)")
            }
            if case .duration(_, _, let think) = scenario.load, think > .zero {
                throw node["think_time"].fail("a database scenario's users send back to back, as its replay's clients do: leave out think_time")
            }
        }
        return scenario
    }

    /// `rate_limit: {limit: 100/s, tolerance: 10%, require_headers: true, respect_retry_after: false}`.
    private static func readRateLimit(_ node: YAMLNode) throws -> RateLimitExpectation {
        _ = try node.mapping(allowed: ["limit", "tolerance", "require_headers", "respect_retry_after"])
        var expectation = RateLimitExpectation()
        if node["limit"].isPresent {
            let text = try node["limit"].string()
            guard let rate = RequestRate.perSecond(text) ?? Double(text).flatMap({ $0.isFinite && $0 > 0 ? $0 : nil }) else {
                throw node["limit"].fail("is requests a second, such as 100/s, 6000/min or 100; got '\(text)'")
            }
            expectation.limit = rate
        }
        if node["tolerance"].isPresent {
            let text = try node["tolerance"].string()
            let number = text.hasSuffix("%") ? String(text.dropLast()) : text
            guard let percent = Double(number), (0...100).contains(percent) else {
                throw node["tolerance"].fail("is a percentage of the limit from 0 to 100, such as 10%; got '\(text)'")
            }
            expectation.tolerancePercent = percent
        }
        if node["require_headers"].isPresent { expectation.requireHeaders = try node["require_headers"].bool() }
        if node["respect_retry_after"].isPresent { expectation.respectRetryAfter = try node["respect_retry_after"].bool() }
        return expectation
    }

    /// `- p99<200ms`, or `- {slo: p99<200ms, window: 10s, abort_on_fail: true, grace: 5s}`.
    private static func readObjective(_ node: YAMLNode) throws -> ScenarioObjective {
        func objective(_ node: YAMLNode) throws -> ServiceObjective {
            do {
                return try ServiceObjective.parse(try node.string())
            } catch let failure as ServiceObjective.Failure {
                throw node.fail(failure.description)
            }
        }
        if node.isScalar { return ScenarioObjective(objective: try objective(node)) }
        _ = try node.mapping(allowed: ["slo", "window", "abort_on_fail", "grace"])
        if node["grace"].isPresent && !node["abort_on_fail"].isPresent {
            throw node["grace"].fail("a grace is the time before abort_on_fail may stop the run; give abort_on_fail: true with it")
        }
        let window = node["window"].isPresent ? try node["window"].duration() : nil
        if let window, window < .seconds(1) { throw node["window"].fail("a window is at least 1s (windows are made of whole seconds)") }
        return ScenarioObjective(
            objective: try objective(node["slo"]), window: window,
            abortOnFail: node["abort_on_fail"].isPresent ? try node["abort_on_fail"].bool() : false,
            grace: node["grace"].isPresent ? try node["grace"].duration() : .zero)
    }

    private static func readLoad(_ node: YAMLNode) throws -> ScenarioLoad {
        let forms = ["requests_per_user", "spike", "rate", "stages", "pattern"].filter { node[$0].isPresent }
        guard forms.count <= 1 else {
            throw node.fail("give one of requests_per_user, spike, rate, stages or pattern, not \(forms.joined(separator: " and "))")
        }
        if node["stages"].isPresent || node["pattern"].isPresent { return try readStages(node) }
        for key in ["start_users", "start_rate"] where node[key].isPresent {
            throw node[key].fail("\(key) is where stages: or pattern: begin; give it with them")
        }
        if node["rate"].isPresent {
            guard node["duration"].isPresent else { throw node["rate"].fail("a rate needs a duration") }
            return .rate(
                rate: try node["rate"].double(in: 0.001...10_000_000), duration: try node["duration"].duration(),
                maxInFlight: node["max_in_flight"].isPresent ? try node["max_in_flight"].int(in: 1...100_000) : 100)
        }
        let users = try node["users"].int(in: 1...100_000)
        if node["requests_per_user"].isPresent {
            guard !node["duration"].isPresent else { throw node["duration"].fail("give requests_per_user or duration, not both") }
            return .requests(users: users, requestsPerUser: try node["requests_per_user"].int(in: 1...100_000_000))
        }
        if node["spike"].isPresent {
            let spike = node["spike"]
            _ = try spike.mapping(allowed: ["baseline_users", "baseline", "ramp", "hold", "recovery"])
            let baselineUsers = try spike["baseline_users"].int(in: 1...users)
            return .spike(peak: users, shape: SpikeShape(
                baselineUsers: baselineUsers, baseline: try spike["baseline"].duration(), ramp: try spike["ramp"].duration(),
                hold: try spike["hold"].duration(), recovery: try spike["recovery"].duration()))
        }
        guard node["duration"].isPresent else { throw node.fail("needs requests_per_user, duration, spike or rate") }
        return .duration(
            users: users, duration: try node["duration"].duration(),
            thinkTime: node["think_time"].isPresent ? try node["think_time"].duration() : .zero)
    }

    /// `stages:` (each `{duration, users}` or `{duration, rate}`, as k6's stages: a straight ramp to
    /// the target over the duration; a hold repeats the target) from `start_users`/`start_rate`, or
    /// `pattern:` of users or rate (`steps: {from, to, count, each}` or `sine: {base, amplitude, period, duration}`).
    private static func readStages(_ node: YAMLNode) throws -> ScenarioLoad {
        let unit: String
        var start: Double
        var stages: [LoadPattern.Stage] = []
        if node["stages"].isPresent {
            let entries = try node["stages"].list()
            guard !entries.isEmpty else { throw node["stages"].fail("needs at least one stage") }
            let units = Set(try entries.map { entry -> String in
                _ = try entry.mapping(allowed: ["duration", "users", "rate"])
                let given = ["users", "rate"].filter { entry[$0].isPresent }
                guard given.count == 1 else { throw entry.fail("a stage gives users or rate (one of them) and a duration") }
                return given[0]
            })
            guard units.count == 1, let only = units.first else { throw node["stages"].fail("stages give users throughout or rate throughout, not both") }
            unit = only
            for entry in entries {
                let duration = try entry["duration"].duration()
                guard duration > .zero else { throw entry["duration"].fail("a stage must last") }
                stages.append((duration, unit == "users" ? Double(try entry["users"].int(in: 0...100_000)) : try entry["rate"].double(in: 0...10_000_000)))
            }
            start = 0
        } else {
            let pattern = node["pattern"]
            _ = try pattern.mapping(allowed: ["of", "steps", "sine"])
            unit = try pattern["of"].string()
            guard unit == "users" || unit == "rate" else { throw pattern["of"].fail("is users or rate, got '\(unit)'") }
            let limit: ClosedRange<Double> = unit == "users" ? 0...100_000 : 0...10_000_000
            switch (pattern["steps"].isPresent, pattern["sine"].isPresent) {
            case (true, false):
                let steps = pattern["steps"]
                _ = try steps.mapping(allowed: ["from", "to", "count", "each"])
                let each = try steps["each"].duration()
                guard each >= .milliseconds(10) else { throw steps["each"].fail("each level lasts at least 10ms") }
                start = try steps["from"].double(in: limit)
                stages = LoadPattern.steps(from: start, to: try steps["to"].double(in: limit), count: try steps["count"].int(in: 1...1000), each: each)
            case (false, true):
                let sine = pattern["sine"]
                _ = try sine.mapping(allowed: ["base", "amplitude", "period", "duration"])
                let base = try sine["base"].double(in: limit)
                let amplitude = try sine["amplitude"].double(in: 0...base)
                let period = try sine["period"].duration(), duration = try sine["duration"].duration()
                guard period >= .seconds(1) else { throw sine["period"].fail("a period lasts at least 1s") }
                guard duration > .zero else { throw sine["duration"].fail("must last") }
                guard duration.seconds / period.seconds <= 10_000 else { throw sine["duration"].fail("at most 10000 periods") }
                start = base
                stages = LoadPattern.sine(base: base, amplitude: amplitude, period: period, duration: duration)
            default:
                throw pattern.fail("give steps: {from, to, count, each} or sine: {base, amplitude, period, duration}")
            }
        }
        if unit == "users" {
            if node["start_rate"].isPresent { throw node["start_rate"].fail("these stages are of users: give start_users") }
            if node["start_users"].isPresent { start = Double(try node["start_users"].int(in: 0...100_000)) }
            let ramp = UserRamp(startUsers: Int(start.rounded()), stages: stages.map { .init(duration: $0.duration, target: Int($0.target.rounded())) })
            guard ramp.peakUsers > 0 else { throw node.fail("the stages never reach a user") }
            return .userStages(ramp)
        }
        if node["start_users"].isPresent { throw node["start_users"].fail("these stages are of rate: give start_rate") }
        if node["start_rate"].isPresent { start = try node["start_rate"].double(in: 0...10_000_000) }
        let ramp = RateRamp(startRate: start, stages: stages.map { .init(duration: $0.duration, target: $0.target) })
        guard ramp.startRate > 0 || ramp.stages.contains(where: { $0.target > 0 }) else { throw node.fail("the stages never ask for a request") }
        return .rateStages(ramp, maxInFlight: node["max_in_flight"].isPresent ? try node["max_in_flight"].int(in: 1...100_000) : 100)
    }

    private static func syntaxError(_ error: YamlError, file: String) -> ConfigurationError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return ConfigurationError(file: file, place: "line \(mark.line), column \(mark.column)", message: "YAML syntax: \(problem)")
        default:
            return ConfigurationError(file: file, place: "file", message: "YAML: \(error)")
        }
    }

    /// The load plan of `scenario` against `target`: its endpoints, its model under `scale`, and
    /// what the scenario asks of every user (waiting out a `Retry-After`). The one place a plan is
    /// made from a scenario, for a run here, on a worker, or in a capacity search.
    public func loadPlan(for scenario: Scenario, target: LoadTarget, scale: Double = 1, runTag: String? = nil) -> LoadPlan {
        var plan = LoadPlan(target: target, endpoints: loadEndpoints(for: scenario), model: scenario.loadModel(scale: scale), runTag: runTag)
        plan.respectRetryAfter = scenario.rateLimit?.respectRetryAfter ?? false
        plan.journey = scenario.journey
        return plan
    }

    /// The endpoints of `scenario` as the load engine takes them.
    public func loadEndpoints(for scenario: Scenario) -> [Endpoint] {
        if let journey = scenario.journey { return journey.endpoints }
        return scenario.endpoints.map { share in
            let spec = endpoints[share.name]!
            var endpoint = spec.body.map { Endpoint.json(spec.method, spec.path, body: $0, name: "\(spec.method) \(spec.path)") }
                ?? Endpoint(name: "\(spec.method) \(spec.path)", method: spec.method, paths: [spec.path])
            endpoint.weight = share.weight
            return endpoint
        }
    }
}
