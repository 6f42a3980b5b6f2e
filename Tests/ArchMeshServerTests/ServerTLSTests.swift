@testable import ArchMeshServer
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

/// `archmesh serve --tls-cert --tls-key`: the same server over HTTPS, with certificates from a
/// throwaway authority; unusable files are refused naming the flag.
@Suite("Server TLS")
struct ServerTLSTests {
    @Test("with a certificate and key the server answers over HTTPS, its guard and routes unchanged")
    func servesHTTPS() async throws {
        let issued = try TestCertificateAuthority().issue()
        var configuration = try await TestApp.configuration()
        configuration.tls = (
            try TestCertificateAuthority.file(issued.certificatePEM, named: "server.pem"),
            try TestCertificateAuthority.file(issued.keyPEM, named: "server.key"))
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
        let notPEM = try TestCertificateAuthority.file("hello", named: "not.pem")
        let issued = try TestCertificateAuthority().issue()
        let key = try TestCertificateAuthority.file(issued.keyPEM, named: "server.key")
        for (chain, privateKey, expected) in [
            ("/nonexistent/server.pem", key, "--tls-cert /nonexistent/server.pem"),
            (notPEM, key, "--tls-cert \(notPEM)"),
            (try TestCertificateAuthority.file(issued.certificatePEM, named: "server.pem"), notPEM, "--tls-key \(notPEM)"),
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
}
