import LoadEngine
import PerfSuite
import Testing

/// `flow:` in the scenario file: read as written, and every bad journey refused before anything
/// runs, with the file, the line and what to write instead.
@Suite("Journeys in the scenario file")
struct JourneyConfigurationTests {
    func parse(_ scenario: String) throws -> SuiteConfiguration {
        let text = """
            scenarios:
              - key: j
                type: load
                severity: high
                users: 2
                duration: 5s
            \(scenario.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            thresholds: {load: {}}
            """
        return try SuiteConfiguration.parse(text, file: "j.yaml")
    }

    func refusal(_ scenario: String) -> String {
        do {
            _ = try parse(scenario)
            return "accepted"
        } catch {
            return String(describing: error)
        }
    }

    @Test("a flow as written: steps, variables, expectations, extractions, think times and repeats")
    func read() throws {
        let configuration = try parse("""
            variables: {tenant: acme, size: [s, m, l]}
            flow:
              - name: create
                method: post
                path: /items
                headers: {X-Tenant: '${tenant}'}
                body: '{"size": "${size}"}'
                expect: [201, 202]
                extract: {id: $.id, where: 'header:Location', first: /tags/0}
                think: {exponential: 200ms}
              - method: GET
                path: /items/${id}
                repeat: 3
                think: {uniform: [10ms, 20ms]}
              - name: gone
                method: DELETE
                path: /items/${id}
                expect: 404
                think: 1s
            """)
        let journey = try #require(configuration.scenarios[0].journey)
        #expect(journey.variables == ["tenant": ["acme"], "size": ["s", "m", "l"]])
        #expect(journey.steps.map(\.name) == ["create", "GET /items/${id}", "gone"])
        #expect(journey.steps[0].method == "POST" && journey.steps[0].expect == [201, 202])
        #expect(journey.steps[0].extract.map(\.name) == ["first", "id", "where"])
        #expect(journey.steps[0].extract.map(\.from) == [.json([.member("tags"), .member("0")]), .json([.member("id")]), .header("location")])
        #expect(journey.steps[0].think == .exponential(mean: .milliseconds(200)))
        #expect(journey.steps[1].repeats == 3 && journey.steps[1].think == .uniform(.milliseconds(10), .milliseconds(20)))
        #expect(journey.steps[2].think == .fixed(.seconds(1)) && journey.steps[2].expect == [404])
        let plan = configuration.loadPlan(for: configuration.scenarios[0], target: LoadTarget(host: "127.0.0.1", port: 1))
        #expect(plan.journey == journey)
        #expect(plan.endpoints.map(\.name) == journey.steps.map(\.name))
    }

    @Test("bad flows are refused with the file, the line and the fix", arguments: [
        ("flow:\n  - {method: GET, path: '/p/${project}'}", "flow[0].path (line 8", "unknown variable 'project'"),
        ("flow:\n  - {method: GET, path: '/p/${id}'}\n  - {method: POST, path: /p, extract: {id: $.id}}", "flow[0].path (line 8", "later step (2"),
        ("flow:\n  - {method: GET, path: '/p/${id'}", "flow[0].path (line 8", "never closed"),
        ("flow:\n  - {method: GET, path: /p, extract: {id: '$.'}}", "flow[0].extract.id (line 8", "names no member"),
        ("flow:\n  - {method: GET, path: /p, extract: {id: 'id'}}", "flow[0].extract.id (line 8", "JSONPath ($.id)"),
        ("flow:\n  - {method: GET, path: /p, expect: 700}", "flow[0].expect (line 8", "between 100 and 599"),
        ("flow:\n  - {method: GET, path: /p, think: {uniform: [2s, 1s]}}", "flow[0].think.uniform (line 8", "low <= high"),
        ("flow:\n  - {method: GET, path: /p, headers: {X-A: '${nope}'}}", "flow[0].headers.X-A (line 8", "unknown variable 'nope'"),
        ("flow:\n  - {method: FETCH, path: /p}", "flow[0].method", "FETCH"),
        ("flow:\n  - {method: GET, path: /p, send: now}", "flow[0].send", "unknown key"),
        ("flow: []", "flow (line 7", "at least one step"),
        ("variables: {vu: 3}\nflow:\n  - {method: GET, path: /p}", "variables.vu", "built-in"),
        ("variables: {a: 1}", "variables", "give them with flow:"),
        ("endpoints: [x]\nflow:\n  - {method: GET, path: /p}", "endpoints", "not both"),
    ])
    func refused(body: String, place: String, expected: String) {
        let message = refusal(body)
        #expect(message.hasPrefix("j.yaml: "), "\(message)")
        #expect(message.contains(place), "\(message)")
        #expect(message.contains(expected), "\(message)")
    }

    @Test("a journey with a rate is refused: a journey is what each user repeats")
    func rate() {
        let text = """
            thresholds: {load: {}}
            scenarios:
              - {key: j, type: load, severity: high, rate: 10, duration: 5s, flow: [{method: GET, path: /p}]}
            """
        do {
            _ = try SuiteConfiguration.parse(text, file: "j.yaml")
            Issue.record("accepted")
        } catch {
            #expect(String(describing: error).contains("give users"), "\(error)")
        }
    }
}
