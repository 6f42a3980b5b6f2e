import Foundation
@testable import LoadEngine
import NIOSSL
import PerfSuite
import Testing
import TestSupport

/// HTTPS against local servers with certificates from a throwaway authority: a trusted server is
/// loaded like a plain one with its handshakes timed apart; every way a certificate can be wrong
/// fails as `tls` with its reason, never a crash or a hang.
@Suite("TLS")
struct TLSTests {
    let authority: CertificateAuthority
    let authorityFile: String

    init() throws {
        authority = try CertificateAuthority()
        authorityFile = try CertificateAuthority.file(try authority.pem, named: "ca.pem")
    }

    /// A server context for `issued`; asking clients for a certificate from the authority with `clientsMust`.
    func serverContext(_ issued: CertificateAuthority.Issued, clientsMust: Bool = false) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(issued.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem)))
        if clientsMust {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(try authority.pem.utf8), format: .pem)])
        }
        return try NIOSSLContext(configuration: configuration)
    }

    func withServer<T>(_ context: NIOSSLContext?, _ body: (TestHTTPServer) async throws -> T) async throws -> T {
        try await TestHTTPServer.with(tls: context, body)
    }

    func plan(host: String = "localhost", port: Int, users: Int = 4, requests: Int = 40, _ configure: (inout TLSOptions) -> Void = { _ in }) -> LoadPlan {
        var plan = LoadPlan(
            target: LoadTarget(scheme: .https, host: host, port: port), endpoints: [.get("/ok")],
            model: .closedRequests(users: users, totalRequests: requests), runTag: "tlstest1")
        plan.requestTimeout = .seconds(60)  // a loaded machine is slow, not broken
        configure(&plan.tls)
        return plan
    }

    /// The reason the run was refused, from its error.
    func refusal(_ plan: LoadPlan) async -> String {
        do {
            let result = try await LoadRun.run(plan)
            return "no refusal: \(result.totalRequests) requests, \(result.errors.byName)"
        } catch {
            return "\(error)"
        }
    }

    @Test("a server whose authority is named by --cacert is loaded, each connection's handshake timed once")
    func trusted() async throws {
        try await withServer(try serverContext(try authority.issue())) { server in
            let result = try await LoadRun.run(plan(port: server.port) { $0.caCertificatesPath = authorityFile })
            #expect(result.totalRequests == 40 && result.successfulRequests == 40 && result.errors.total == 0)
            #expect(server.state.requests.load(ordering: .relaxed) == 40)
            let tls = try #require(result.tls)
            #expect(tls.handshakes == 4, "one per connection")
            #expect(tls.handshake.p50 > 0 && tls.handshake.max >= tls.handshake.p50)
            #expect(!tls.verificationSkipped && tls.failures.isEmpty)
            #expect(result.target.hasPrefix("https://"))
        }
    }

    @Test("an address in the URL is checked against the certificate's IP names, without SNI")
    func byAddress() async throws {
        try await withServer(try serverContext(try authority.issue())) { server in
            let result = try await LoadRun.run(plan(host: "127.0.0.1", port: server.port) { $0.caCertificatesPath = authorityFile })
            #expect(result.successfulRequests == 40)
        }
    }

    @Test("an authority the client does not trust is refused as unknown, unless --insecure, which the result says")
    func unknownAuthority() async throws {
        try await withServer(try serverContext(try authority.issue())) { server in
            let reason = await refusal(plan(port: server.port))
            #expect(reason.contains("TLS: unknown certificate authority"), "\(reason)")
            let other = try CertificateAuthority(name: "another CA")
            let otherFile = try CertificateAuthority.file(try other.pem, named: "other.pem")
            let wrongRoot = await refusal(plan(port: server.port) { $0.caCertificatesPath = otherFile })
            #expect(wrongRoot.contains("unknown certificate authority"), "\(wrongRoot)")
            let insecure = try await LoadRun.run(plan(port: server.port) { $0.insecure = true })
            #expect(insecure.successfulRequests == 40)
            #expect(insecure.tls?.verificationSkipped == true)
        }
    }

    @Test("an expired certificate is refused as expired")
    func expired() async throws {
        let issued = try authority.issue(notValidBefore: Date() - 10 * 86_400, notValidAfter: Date() - 86_400)
        try await withServer(try serverContext(issued)) { server in
            let reason = await refusal(plan(port: server.port) { $0.caCertificatesPath = authorityFile })
            #expect(reason.contains("TLS: certificate expired on"), "\(reason)")
        }
    }

    @Test("a certificate for other names is refused as a name mismatch")
    func nameMismatch() async throws {
        try await withServer(try serverContext(try authority.issue(names: ["example.com"], addresses: []))) { server in
            let byName = await refusal(plan(port: server.port) { $0.caCertificatesPath = authorityFile })
            #expect(byName.contains("TLS: name mismatch"), "\(byName)")
            let byAddress = await refusal(plan(host: "127.0.0.1", port: server.port) { $0.caCertificatesPath = authorityFile })
            #expect(byAddress.contains("TLS: name mismatch"), "\(byAddress)")
        }
    }

    @Test("a certificate issued only for clients is refused as not for servers")
    func clientOnlyCertificate() async throws {
        try await withServer(try serverContext(try authority.issue(client: true))) { server in
            let reason = await refusal(plan(port: server.port) { $0.caCertificatesPath = authorityFile })
            #expect(reason.contains("TLS: the certificate of CN=localhost is not for servers"), "\(reason)")
        }
    }

    @Test("a server that asks for a client certificate gets one from --cert and --key, and refuses a client without")
    func mutualTLS() async throws {
        try await withServer(try serverContext(try authority.issue(), clientsMust: true)) { server in
            // With TLS 1.3 the server refuses the missing certificate after the client's handshake:
            // then every request fails as tls, with the server's alert among the reasons.
            do {
                let without = try await LoadRun.run(plan(port: server.port) { $0.caCertificatesPath = authorityFile })
                #expect(without.errors[.tls] == 40 && without.successfulRequests == 0, "\(without.errors.byName)")
                #expect(without.tls?.failures.isEmpty == false)
            } catch {
                #expect("\(error)".contains("TLS:"), "\(error)")
            }
            let client = try authority.issue(names: ["load tester"], addresses: [], client: true)
            let certificate = try CertificateAuthority.file(client.certificatePEM, named: "client.pem")
            let key = try CertificateAuthority.file(client.keyPEM, named: "client.key")
            let result = try await LoadRun.run(plan(port: server.port) {
                $0.caCertificatesPath = authorityFile
                $0.clientCertificatePath = certificate
                $0.clientKeyPath = key
            })
            #expect(result.successfulRequests == 40)
        }
    }

    @Test("a plain HTTP server behind an https URL fails the handshake as tls, and the run ends")
    func plainServer() async throws {
        try await withServer(nil) { server in
            let reason = await refusal(plan(port: server.port) { $0.insecure = true })
            #expect(reason.contains("TLS:"), "\(reason)")
        }
    }

    @Test("a server that never answers the handshake fails it at the handshake timeout, not the request's")
    func silentServer() async throws {
        let server = try await HostileServer.start(.silence)
        let started = ContinuousClock.now
        let reason = await refusal(plan(port: server.port) {
            $0.insecure = true
            $0.handshakeTimeout = .milliseconds(300)
        })
        await server.stop()
        #expect(reason.contains("TLS: no finished handshake within 300 ms"), "\(reason)")
        #expect(ContinuousClock.now - started < .seconds(30), "ended, not hung")
    }

    @Test("files named for TLS that are missing or not PEM are refused with the flag and the path")
    func badFiles() async throws {
        let notPEM = try CertificateAuthority.file("hello", named: "not.pem")
        for (configure, flag) in [
            ({ (options: inout TLSOptions) in options.caCertificatesPath = "/nonexistent/ca.pem" }, "--cacert /nonexistent/ca.pem"),
            ({ (options: inout TLSOptions) in options.caCertificatesPath = notPEM }, "--cacert \(notPEM)"),
            ({ (options: inout TLSOptions) in options.clientCertificatePath = notPEM }, "--cert and --key"),
        ] {
            let reason = await refusal(plan(port: 9, configure))
            #expect(reason.contains(flag), "\(reason)")
        }
    }
}
