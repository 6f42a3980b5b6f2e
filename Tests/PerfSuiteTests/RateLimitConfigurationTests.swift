import Foundation
import LoadEngine
import PerfSuite
import Testing

/// A `rate_limit` scenario in the scenario file: its block read as written, its plan, and every
/// bad block refused with its place.
@Suite("Rate-limit scenarios in the scenario file")
struct RateLimitConfigurationTests {
    func configuration(type: String = "rate_limit", load: String = "rate: 200", _ body: String) throws -> SuiteConfiguration {
        let text = """
            thresholds: {load: {}}
            endpoints: {health: {method: GET, path: /api/v1/health}}
            scenarios:
              - key: limit
                type: \(type)
                severity: high
                endpoints: [health]
                \(load)
                duration: 10s
            \(body.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            """
        return try SuiteConfiguration.parse(text, file: "limit.yaml")
    }

    @Test("the block as written, in any unit; a plan whose users wait out Retry-After when asked")
    func read() throws {
        let read = try configuration(load: "users: 20", "rate_limit: {limit: 6000/min, tolerance: 5%, require_headers: false, respect_retry_after: true}")
        let scenario = read.scenarios[0]
        #expect(scenario.type == .rateLimit)
        #expect(scenario.rateLimit == RateLimitExpectation(limit: 100, tolerancePercent: 5, requireHeaders: false, respectRetryAfter: true))
        #expect(scenario.thresholds == Thresholds(), "no limits by type are needed for a rate-limit scenario")
        let plan = read.loadPlan(for: scenario, target: LoadTarget(host: "127.0.0.1", port: 1))
        #expect(plan.respectRetryAfter)
        #expect(try configuration(#"rate_limit: {limit: "25"}"#).scenarios[0].rateLimit?.limit == 25)
        let bare = try configuration("description: observe only").scenarios[0]
        #expect(bare.rateLimit == RateLimitExpectation(), "observe only: no declared limit, 10%, headers required, Retry-After ignored")
        #expect(!read.loadPlan(for: bare, target: LoadTarget(host: "127.0.0.1", port: 1)).respectRetryAfter)
    }

    @Test("the example file parses: two rate-limit scenarios, one of users that wait out Retry-After")
    func example() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/rate-limit.yaml").standardized.path
        let example = try SuiteConfiguration.load(path: path)
        #expect(example.scenarios.map(\.type) == [.rateLimit, .rateLimit])
        #expect(example.scenarios.map { $0.rateLimit?.limit } == [100, 100])
        #expect(example.scenarios.map { $0.rateLimit?.respectRetryAfter } == [false, true])
    }

    @Test("bad blocks are refused with their place and what to write", arguments: [
        ("rate_limit: {limit: fast}", "rate_limit.limit", "such as 100/s"),
        ("rate_limit: {limit: 0/s}", "rate_limit.limit", "such as 100/s"),
        ("rate_limit: {limit: -3}", "rate_limit.limit", "such as 100/s"),
        ("rate_limit: {tolerance: 150%}", "rate_limit.tolerance", "from 0 to 100"),
        ("rate_limit: {respect_retry_after: sometimes}", "rate_limit.respect_retry_after", "true or false"),
        ("rate_limit: {burst: 5}", "rate_limit", "burst"),
        ("rate_limit: {respect_retry_after: true}", "rate_limit.respect_retry_after", "give users"),
    ])
    func refused(body: String, place: String, expected: String) {
        let message = refusal { try configuration(body) }
        #expect(message.hasPrefix("limit.yaml: "), "\(message)")
        #expect(message.contains(place), "\(message)")
        #expect(message.contains(expected), "\(message)")
    }

    @Test("a rate_limit block on a scenario of another type is refused")
    func wrongType() {
        let message = refusal { try configuration(type: "load", "rate_limit: {limit: 10/s}") }
        #expect(message.contains("belongs to a scenario of type rate_limit"), "\(message)")
    }

    func refusal(_ body: () throws -> SuiteConfiguration) -> String {
        do {
            _ = try body()
            return "accepted"
        } catch {
            return String(describing: error)
        }
    }
}
