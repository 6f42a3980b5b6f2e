@testable import ArchMeshServer
import Foundation
import HummingbirdTesting
import LoadEngine
import PerfSuite
import Testing
import TestSupport

/// `archmesh serve --tls-cert --tls-key` and `--http2`: the same server over HTTPS and HTTP/2 (h2 by
/// ALPN, h2c), with certificates from a throwaway authority; unusable files are refused naming the flag.
@Suite("Server TLS and HTTP/2")
struct ServerTLSTests {
    @Test("with a certificate and key the server answers over HTTPS, its guard and routes unchanged")
    func servesHTTPS() async throws {
        let issued = try CertificateAuthority().issue()
        var configuration = try await TestApp.configuration()
        configuration.tls = (
            try CertificateAuthority.file(issued.certificatePEM, named: "server.pem"),
            try CertificateAuthority.file(issued.keyPEM, named: "server.key"))
        try await buildApplication(configuration: configuration, logger: TestDatabase.logger).test(.ahc(.https)) { client in
            let live = try await client.execute(uri: "/health/live", method: .get)
            #expect(live.status == .ok)
            let health = try await client.execute(uri: "/api/v1/health", method: .get)
            #expect(health.status == .ok)
            #expect(health.headers[.init("Server-Timing")!]?.contains("db;dur=") == true)
        }
    }

    @Test("a missing or unreadable certificate or key is refused with the flag and the path")
    func badFiles() async throws {
        let notPEM = try CertificateAuthority.file("hello", named: "not.pem")
        let issued = try CertificateAuthority().issue()
        let key = try CertificateAuthority.file(issued.keyPEM, named: "server.key")
        for (chain, privateKey, expected) in [
            ("/nonexistent/server.pem", key, "--tls-cert /nonexistent/server.pem"),
            (notPEM, key, "--tls-cert \(notPEM)"),
            (try CertificateAuthority.file(issued.certificatePEM, named: "server.pem"), notPEM, "--tls-key \(notPEM)"),
        ] {
            var configuration = try await TestApp.configuration()
            configuration.tls = (chain, privateKey)
            #expect {
                _ = try buildApplication(configuration: configuration, logger: TestDatabase.logger)
            } throws: { error in
                "\(error)".contains(expected)
            }
        }
    }

    /// The API over HTTP/2 by this build's load engine: every request a stream, answered with its timings.
    func loadOverHTTP2(_ configure: (inout ServerConfiguration) -> Void, scheme: LoadTarget.Scheme, tls: TLSOptions) async throws -> LoadResult {
        var configuration = try await TestApp.configuration(seedProjects: 20)
        configuration.poolAcquireTimeout = .seconds(60)  // 8 users on a pool of 4, on a loaded machine: slow, not unavailable
        configure(&configuration)
        configuration.port = 0
        let listening = AsyncStream<Int>.makeStream()
        let app = try buildApplication(configuration: configuration, logger: TestDatabase.logger) { _, port in listening.continuation.yield(port) }
        return try await withThrowingTaskGroup(of: LoadResult?.self) { group in
            group.addTask { try await app.runService(); return nil }
            var ports = listening.stream.makeAsyncIterator()
            let port = try #require(await ports.next())
            var plan = LoadPlan(
                target: LoadTarget(scheme: scheme, host: "localhost", port: port),
                endpoints: [.get("/api/v1/health"), .get("/api/v1/projects?limit=5")],
                model: .closedRequests(users: 8, totalRequests: 200), runTag: "srvh2t01")
            plan.http2Streams = 4
            plan.tls = tls
            plan.requestTimeout = .seconds(60)  // a loaded machine is slow, not broken
            let result = try await LoadRun.run(plan)
            group.cancelAll()
            return result
        }
    }

    @Test("with --http2 and no certificate the API answers h2c, every stream with its Server-Timing")
    func servesH2C() async throws {
        let result = try await loadOverHTTP2({ $0.http2 = true }, scheme: .http, tls: TLSOptions())
        #expect(result.successfulRequests == 200, "\(result.errors.byName)")
        #expect(result.endpoints.allSatisfy { $0.server.timedResponses == $0.requests })
        #expect(result.connectionStats.opened == 2)
    }

    @Test("with --http2 and a certificate the API answers h2 agreed by ALPN")
    func servesH2() async throws {
        let authority = try CertificateAuthority()
        let issued = try authority.issue()
        var tls = TLSOptions()
        tls.caCertificatesPath = try CertificateAuthority.file(try authority.pem, named: "ca.pem")
        let certificate = try CertificateAuthority.file(issued.certificatePEM, named: "server.pem")
        let key = try CertificateAuthority.file(issued.keyPEM, named: "server.key")
        let result = try await loadOverHTTP2({
            $0.http2 = true
            $0.tls = (certificate, key)
        }, scheme: .https, tls: tls)
        #expect(result.successfulRequests == 200, "\(result.errors.byName)")
        #expect(result.tls?.handshakes == 2)
    }
}
