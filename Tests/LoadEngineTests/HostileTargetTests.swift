@testable import LoadEngine
import Testing

/// The engine against servers that misbehave, each behaviour written whole and split into small
/// pieces: every run must end by itself, count every request it planned, and put each failure
/// under its kind. Behaviour, never speed.
@Suite("Hostile targets", .serialized)
struct HostileTargetTests {
    /// What a run of `requests` GETs must record against each behaviour.
    enum Expected {
        case answered
        /// Answered, with every `Server-Timing` rejected.
        case answeredRejectingTimings
        case failed(ErrorKind)
        /// Depends on how the bytes were split; only the accounting is checked.
        case anyOutcome
    }

    static func expected(_ behaviour: HostileServer.Behaviour, pieceSize: Int) -> Expected {
        switch behaviour {
        case .valid, .closeAfterResponse, .hugeHeaders, .interimResponses, .chunked, .closeDelimited, .headWithLength: return .answered
        case .negativeServerTiming, .hugeServerTiming, .nonNumericServerTiming: return .answeredRejectingTimings
        case .sshBanner, .absurdContentLength, .negativeContentLength, .garbage, .overflowingChunkSize, .switchingProtocols,
            .headBeyondLimit, .impossibleStatus:
            return .failed(.protocol)
        // Written at once, the second answer arrives with the first and is caught; in pieces it may
        // arrive after the next request left and pass for its answer (HTTP/1.1 cannot tell).
        case .twoResponses: return pieceSize == 0 ? .failed(.protocol) : .anyOutcome
        case .closeAtOnce, .closeMidBody: return .failed(.read)
        case .silence: return .failed(.timeout)
        }
    }

    /// How the answer is split, and which loop reads it: the engine's own sockets (plain HTTP/1.1's
    /// default) or SwiftNIO's channels (what HTTPS uses).
    struct Delivery: Sendable, CustomTestStringConvertible {
        var pieceSize: Int
        var ownSocketLoop: Bool
        var testDescription: String { "split \(pieceSize), \(ownSocketLoop ? "own socket loop" : "SwiftNIO")" }
    }

    static let deliveries = [0, 1, 7].flatMap { size in [true, false].map { Delivery(pieceSize: size, ownSocketLoop: $0) } }
    static let requests = 12

    @Test(
        "every behaviour, whole or split, ends the run with every request counted under its kind",
        .timeLimit(.minutes(2)), arguments: HostileServer.Behaviour.allCases, deliveries)
    func survives(_ behaviour: HostileServer.Behaviour, delivery: Delivery) async throws {
        let pieceSize = delivery.pieceSize
        let server = try await HostileServer.start(behaviour, pieceSize: pieceSize)
        defer { Task { await server.stop() } }
        let method = behaviour == .headWithLength ? "HEAD" : "GET"
        var plan = LoadPlan(
            target: LoadTarget(host: "127.0.0.1", port: server.port),
            endpoints: [Endpoint(method: method, paths: ["/hostile"])],
            model: .closedRequests(users: 4, totalRequests: Self.requests), runTag: "hostile1")
        // Long enough for a slow, split answer on a busy machine; short for the silent server.
        plan.requestTimeout = behaviour == .silence ? .milliseconds(300) : .seconds(15)
        plan.ownSocketLoop = delivery.ownSocketLoop
        let result = try await LoadRun.run(plan)
        let seen = "\(behaviour) \(delivery.testDescription): \(result.errors.byName.filter { $0.value > 0 }), \(result.connectionStats)"
        #expect(result.totalRequests == Self.requests, "\(seen)")
        #expect(result.successfulRequests + result.errors.transport + result.errors[.http4xx] + result.errors[.http5xx] == Self.requests)
        switch Self.expected(behaviour, pieceSize: pieceSize) {
        case .answered:
            #expect(result.successfulRequests == Self.requests, "\(seen)")
        case .answeredRejectingTimings:
            #expect(result.successfulRequests == Self.requests)
            #expect(result.rejectedServerTimings == Self.requests)
            #expect(result.endpoints[0].server.timedResponses == 0)
        case .failed(let kind):
            #expect(result.errors[kind] == Self.requests, "\(seen)")
        case .anyOutcome:
            break
        }
    }

    @Test(
        "a journey against every behaviour: each request counted, no answer without the value passes, no journey completes",
        .timeLimit(.minutes(2)), arguments: HostileServer.Behaviour.allCases, [Delivery(pieceSize: 0, ownSocketLoop: true), Delivery(pieceSize: 7, ownSocketLoop: false)])
    func journeySurvives(_ behaviour: HostileServer.Behaviour, delivery: Delivery) async throws {
        let server = try await HostileServer.start(behaviour, pieceSize: delivery.pieceSize)
        defer { Task { await server.stop() } }
        let method = behaviour == .headWithLength ? "HEAD" : "GET"
        let journey = Journey(steps: [
            .init(name: "take", method: method, path: "/hostile", extract: [(name: "id", from: .json([.member("id")])), (name: "at", from: .header("x-at"))]),
            .init(name: "use", method: "GET", path: "/hostile/${id}?at=${at}"),
        ])
        var plan = LoadPlan(
            target: LoadTarget(host: "127.0.0.1", port: server.port), endpoints: journey.endpoints,
            model: .closedRequests(users: 4, totalRequests: Self.requests), runTag: "hostile2")
        plan.journey = journey
        plan.requestTimeout = behaviour == .silence ? .milliseconds(300) : .seconds(15)
        plan.ownSocketLoop = delivery.ownSocketLoop
        let result = try await LoadRun.run(plan)
        let seen = "\(behaviour) \(delivery.testDescription): \(result.errors.byName.filter { $0.value > 0 })"
        let journeys = try #require(result.journeys)
        #expect(result.totalRequests == Self.requests, "\(seen)")
        #expect(result.successfulRequests + result.errors.total == Self.requests)
        #expect(result.endpoints[1].requests == 0, "no step after a failed extraction: \(seen)")
        #expect(journeys.completed == 0 && journeys.failed == Self.requests, "\(seen) \(journeys)")
        switch Self.expected(behaviour, pieceSize: delivery.pieceSize) {
        case .answered, .answeredRejectingTimings:
            #expect(result.errors[.extraction] == Self.requests, "\(seen)")
        case .failed(let kind):
            #expect(result.errors[kind] == Self.requests, "\(seen)")
        case .anyOutcome:
            break
        }
    }

    @Test("a server that never answers cannot stretch a timed run past its end and grace")
    func silentServerCutOff() async throws {
        let server = try await HostileServer.start(.silence)
        defer { Task { await server.stop() } }
        var plan = LoadPlan(
            target: LoadTarget(host: "127.0.0.1", port: server.port), endpoints: [.get("/")],
            model: .closedDuration(users: 3, duration: .milliseconds(500), thinkTime: .zero), runTag: "hostile2")
        plan.requestTimeout = .seconds(60)
        plan.gracefulStop = .milliseconds(300)
        let started = ContinuousClock.now
        let result = try await LoadRun.run(plan)
        #expect(ContinuousClock.now - started < .seconds(30), "ended by its own schedule, not by the 60 s timeout")
        #expect(result.cutOffAtEnd == 3)
        #expect(result.totalRequests == 0)
    }

    @Test("a server that accepts and closes at once is not hammered: reconnects back off")
    func reconnectsBackOff() async throws {
        let server = try await HostileServer.start(.closeAtOnce)
        defer { Task { await server.stop() } }
        let plan = LoadPlan(
            target: LoadTarget(host: "127.0.0.1", port: server.port), endpoints: [.get("/")],
            model: .closedDuration(users: 2, duration: .seconds(1), thinkTime: .zero), runTag: "hostile3")
        let result = try await LoadRun.run(plan)
        // Without a backoff, two users reconnect thousands of times a second; with it, 25 ms doubling
        // to a second allows at most 7 attempts each in a second.
        #expect(result.errors[.read] + result.errors[.write] <= 16)
        #expect(result.errors[.read] + result.errors[.write] >= 2)
    }
}
