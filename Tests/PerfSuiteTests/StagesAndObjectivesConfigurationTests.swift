import LoadEngine
import PerfSuite
import Testing

/// `stages:`, `pattern:` and `objectives:` in the scenario file: read as written, and every bad
/// one refused with its file, its place and what to write instead.
@Suite("Stages, patterns and objectives in the scenario file")
struct StagesAndObjectivesConfigurationTests {
    func scenario(_ body: String) throws -> Scenario {
        let text = """
            thresholds: {load: {}}
            endpoints: {live: {method: GET, path: /health/live}}
            scenarios:
              - key: s
                type: load
                severity: low
                endpoints: [live]
            \(body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        return try SuiteConfiguration.parse(text, file: "s.yaml").scenarios[0]
    }

    func refusal(_ body: String) -> String {
        do {
            _ = try scenario(body)
            return "accepted"
        } catch {
            return String(describing: error)
        }
    }

    @Test("users stages ramp as k6's do, from start_users")
    func userStages() throws {
        let read = try scenario("start_users: 2\nstages:\n  - {duration: 10s, users: 20}\n  - {duration: 30s, users: 20}\n  - {duration: 5s, users: 0}")
        guard case .userStages(let ramp) = read.load else { Issue.record("\(read.load)"); return }
        #expect(ramp.startUsers == 2 && ramp.peakUsers == 20 && ramp.duration == .seconds(45))
        #expect(ramp.users(at: 5) == 11)
        #expect(read.loadModel(scale: 0.5).plannedDuration == .milliseconds(22_500))
    }

    @Test("rate stages are an open model with its in-flight limit")
    func rateStages() throws {
        let read = try scenario("max_in_flight: 40\nstages:\n  - {duration: 10s, rate: 100}\n  - {duration: 10s, rate: 100}")
        guard case .rateStages(let ramp, let inFlight) = read.load else { Issue.record("\(read.load)"); return }
        #expect(inFlight == 40 && ramp.startRate == 0)
        #expect(abs(ramp.rate(at: 5) - 50) < 1e-9)
        #expect(read.loadModel().isOpen)
    }

    @Test("a step pattern and a sine pattern become stages")
    func patterns() throws {
        let steps = try scenario("pattern: {of: rate, steps: {from: 50, to: 200, count: 4, each: 10s}}")
        guard case .rateStages(let ramp, _) = steps.load else { Issue.record("\(steps.load)"); return }
        #expect(ramp.duration == .seconds(40))
        #expect([5.0, 15, 25, 35].map { ramp.rate(at: $0) } == [50, 100, 150, 200])
        let sine = try scenario("pattern: {of: users, sine: {base: 10, amplitude: 5, period: 20s, duration: 40s}}")
        guard case .userStages(let users) = sine.load else { Issue.record("\(sine.load)"); return }
        #expect(users.startUsers == 10 && users.peakUsers == 15 && users.duration == .seconds(40))
        #expect(users.users(at: 5) == 15 && users.users(at: 15) == 5)
    }

    @Test("objectives as text or with a window, an abort and a grace")
    func objectives() throws {
        let read = try scenario("rate: 10\nduration: 5s\nobjectives:\n  - p95<300ms\n  - {slo: 'errors<1%', window: 10s, abort_on_fail: true, grace: 5s}")
        #expect(read.objectives.count == 2)
        #expect(read.objectives[0].objective.description == "p95<300ms" && read.objectives[0].window == nil && !read.objectives[0].abortOnFail)
        #expect(read.objectives[1].windowSeconds == 10 && read.objectives[1].abortOnFail && read.objectives[1].grace == .seconds(5))
    }

    @Test("bad stages, patterns and objectives are refused with their place", arguments: [
        ("stages:\n  - {duration: 10s, users: 5}\n  - {duration: 10s, rate: 5}", "users throughout or rate throughout"),
        ("stages:\n  - {duration: 10s}", "users or rate"),
        ("stages: []", "at least one stage"),
        ("stages:\n  - {duration: 10s, users: 0}", "never reach a user"),
        ("pattern: {steps: {from: 1, to: 5, count: 3, each: 1s}}", "pattern.of"),
        ("pattern: {of: rate, sine: {base: 10, amplitude: 20, period: 10s, duration: 20s}}", "amplitude"),
        ("pattern: {of: rate}", "steps: {from, to, count, each}"),
        ("users: 2\nrequests_per_user: 3\nstages:\n  - {duration: 1s, users: 2}", "not requests_per_user and stages"),
        ("rate: 10\nduration: 5s\nobjectives: ['p99>5ms']", "objectives[0]"),
        ("rate: 10\nduration: 5s\nobjectives:\n  - {slo: 'p99<5ms', window: 500ms}", "at least 1s"),
        ("rate: 10\nduration: 5s\nobjectives:\n  - {slo: 'p99<5ms', abort_on_fail: yes please}", "true or false"),
        ("rate: 10\nduration: 5s\nobjectives:\n  - {slo: 'p99<5ms', grace: 5s}", "give abort_on_fail"),
        ("rate: 10\nduration: 5s\nobjectives: ['p99<7200s']", "up to an hour"),
        ("stages:\n  - {duration: 10s, rate: 0}", "never ask for a request"),
        ("users: 2\nduration: 5s\nstart_users: 1", "give it with them"),
        ("start_rate: 5\nstages:\n  - {duration: 10s, users: 2}", "give start_users"),
    ])
    func refused(body: String, expected: String) {
        let message = refusal(body)
        #expect(message.hasPrefix("s.yaml: "), "\(message)")
        #expect(message.contains(expected), "\(message)")
    }
}
