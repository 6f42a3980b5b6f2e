import Foundation
@testable import LoadEngine
import NIOSSL
import PerfSuite
import Testing
import TestSupport

/// HTTP/2 against local servers: requests multiplexed as streams on shared connections, counted
/// exactly; a GOAWAY and reset streams handled and counted, never fatal; h2 by ALPN over TLS.
@Suite("HTTP/2")
struct HTTP2Tests {
    func plan(_ port: Int, scheme: LoadTarget.Scheme = .http, users: Int = 8, streams: Int = 4, _ model: LoadModel? = nil) -> LoadPlan {
        var plan = LoadPlan(
            target: LoadTarget(scheme: scheme, host: "localhost", port: port), endpoints: [.get("/ok")],
            model: model ?? .closedRequests(users: users, totalRequests: 400), runTag: "h2test01")
        plan.http2Streams = streams
        plan.threads = 1
        plan.requestTimeout = .seconds(60)  // a loaded machine is slow, not broken
        return plan
    }

    @Test("h2c: 8 users on 2 connections of 4 streams each send exactly the requests asked for, with server timings")
    func exactCounts() async throws {
        let server = try await HTTP2TestServer.start()
        let result = try await LoadRun.run(plan(server.port))
        await server.stop()
        #expect(result.totalRequests == 400 && result.successfulRequests == 400, "\(result.errors.byName)")
        #expect(server.streamCount == 400)
        #expect(server.connectionCount == 2 && result.connectionStats.opened == 2)
        #expect(result.endpoints[0].server.timedResponses == 400)
        #expect(abs(result.endpoints[0].server.app.p50 - 0.5) < 0.01)
    }

    @Test("429s over HTTP/2 are counted with their Retry-After and RateLimit headers, as over HTTP/1.1")
    func rateLimitHeaders() async throws {
        let server = try await HTTP2TestServer.start(.init(refuseEvery: 4))
        let result = try await LoadRun.run(plan(server.port, users: 4, streams: 4, .closedRequests(users: 4, totalRequests: 200)))
        await server.stop()
        let summary = try #require(result.rateLimit)
        #expect(summary.refused == 50 && result.errors[.http4xx] == 50, "\(summary)")
        #expect(summary.refusedWithRetryAfter == 50 && summary.refusedWithRateLimit == 50 && summary.inconsistent == 0)
        #expect(summary.retryAfterSecondsMin == 2 && summary.retryAfterSecondsMax == 2)
        #expect(summary.answersWithRateLimit == 50 && summary.answersWithPolicy == 50)
        #expect(summary.afterWaitAccepted + summary.afterWaitRefused == 0, "Retry-After ignored unless the plan respects it")
        #expect(result.endpoints[0].server.timedResponses == 200, "Server-Timing is still read beside them")
    }

    @Test("an open run over HTTP/2 sends or counts as unsent every request of its schedule")
    func openModel() async throws {
        let server = try await HTTP2TestServer.start()
        let result = try await LoadRun.run(plan(server.port, streams: 8, .constantRate(rate: 200, duration: .seconds(2), maxInFlight: 8)))
        await server.stop()
        #expect(result.totalRequests + result.unsentRequests == 400)
        #expect(result.errors.total == 0, "\(result.errors.byName) \(result.connectionStats)")
        #expect(result.connectionStats.opened == 1)
    }

    @Test("a GOAWAY mid-run is counted and the users go on on a new connection")
    func goAway() async throws {
        let server = try await HTTP2TestServer.start(.init(goAwayAfter: 50))
        let result = try await LoadRun.run(plan(server.port, users: 4, streams: 4))
        await server.stop()
        #expect(result.totalRequests == 400, "every request counted, answered or failed")
        #expect(result.connectionStats.goAways >= 1)
        #expect(server.connectionCount >= 2 && result.connectionStats.opened >= 2)
        #expect(result.successfulRequests >= 300, "\(result.errors.byName)")
        #expect(result.errors[.timeout] == 0, "no request is left without an answer or a failure")
    }

    @Test("after a graceful GOAWAY the streams under way are answered and later ones go to a new connection, not failed")
    func gracefulGoAway() async throws {
        let server = try await HTTP2TestServer.start(.init(goAwayAfter: 50, drainAfterGoAway: true))
        let result = try await LoadRun.run(plan(server.port, users: 4, streams: 4))
        await server.stop()
        #expect(result.totalRequests == 400 && result.errors.total == 0, "\(result.errors.byName) \(result.connectionStats)")
        #expect(result.connectionStats.goAways >= 1 && result.connectionStats.opened >= 2)
        #expect(result.connectionStats.streamsRefused > 0 && result.connectionStats.streamsReset == 0, "refused streams are sent again, not failed")
    }

    @Test("streams the server resets are read errors of their requests, counted, and the run goes on")
    func resets() async throws {
        let server = try await HTTP2TestServer.start(.init(resetEvery: 10))
        let result = try await LoadRun.run(plan(server.port, users: 4, streams: 4))
        await server.stop()
        #expect(result.totalRequests == 400)
        #expect(result.errors[.read] > 0 && result.errors[.read] <= 60, "\(result.errors.byName)")
        #expect(result.connectionStats.streamsReset == result.errors[.read])
        #expect(result.successfulRequests + result.errors[.read] == 400)
    }

    @Test("h2 over TLS is agreed by ALPN; a server that offers only HTTP/1.1 is refused as tls with the reason")
    func overTLS() async throws {
        let authority = try CertificateAuthority()
        let caFile = try CertificateAuthority.file(try authority.pem, named: "ca.pem")
        let issued = try authority.issue()
        func context(_ protocols: [String]) throws -> NIOSSLContext {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(issued.certificatePEM.utf8), format: .pem))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem)))
            configuration.applicationProtocols = protocols
            return try NIOSSLContext(configuration: configuration)
        }
        let h2 = try await HTTP2TestServer.start(tls: try context(["h2"]))
        var secure = plan(h2.port, scheme: .https)
        secure.tls.caCertificatesPath = caFile
        let result = try await LoadRun.run(secure)
        await h2.stop()
        #expect(result.successfulRequests == 400, "\(result.errors.byName)")
        #expect(result.tls?.handshakes == 2)

        let http1 = try await HTTP2TestServer.start(tls: try context(["http/1.1"]))
        var refused = plan(http1.port, scheme: .https)
        refused.tls.caCertificatesPath = caFile
        await #expect {
            _ = try await LoadRun.run(refused)
        } throws: { error in
            "\(error)".contains("did not agree to HTTP/2")
        }
        await http1.stop()
    }
}

/// The engine over HTTP/2 against servers that misbehave at the frame level: every run ends by
/// itself, counts every request, and calls what broke the protocol a `protocol` error.
@Suite("Hostile HTTP/2 targets", .serialized)
struct HostileHTTP2Tests {
    static let requests = 12

    @Test(
        "every frame-level behaviour, whole or split, ends the run with every request counted under its kind",
        .timeLimit(.minutes(2)), arguments: HostileHTTP2Server.Behaviour.allCases, [0, 7])
    func survives(_ behaviour: HostileHTTP2Server.Behaviour, pieceSize: Int) async throws {
        let server = try await HostileHTTP2Server.start(behaviour, pieceSize: pieceSize)
        defer { Task { await server.stop() } }
        var plan = LoadPlan(
            target: LoadTarget(host: "127.0.0.1", port: server.port),
            endpoints: [behaviour == .smallWindow ? .json("POST", "/hostile", body: String(repeating: "x", count: 100)) : .get("/hostile")],
            model: .closedRequests(users: 4, totalRequests: Self.requests), runTag: "hostile2")
        plan.http2Streams = 2
        plan.requestTimeout = .seconds(30)
        let result = try await LoadRun.run(plan)
        let seen = "\(behaviour) split \(pieceSize): \(result.errors.byName.filter { $0.value > 0 }), \(result.connectionStats)"
        #expect(result.totalRequests == Self.requests, "\(seen)")
        if behaviour.isValid {
            #expect(result.successfulRequests == Self.requests, "\(seen)")
        } else {
            #expect(result.errors[.protocol] == Self.requests, "\(seen)")
        }
    }
}
