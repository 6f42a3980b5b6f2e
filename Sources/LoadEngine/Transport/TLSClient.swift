import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import Observability
import SwiftASN1
import X509

/// How a run speaks TLS to an `https://` target.
public struct TLSOptions: Sendable, Equatable {
    /// A PEM file of the certificate authorities to trust instead of the system's (a private CA).
    public var caCertificatesPath: String?
    /// Skip every check of the server's certificate; the result says so.
    public var insecure = false
    /// A client certificate and its key (PEM files), for servers that ask for one (mutual TLS).
    public var clientCertificatePath: String?
    public var clientKeyPath: String?
    /// A handshake not finished after this long fails its connection as `tls`.
    public var handshakeTimeout: Duration = .seconds(10)

    public init() {}

    /// The same choices as a plain TLS configuration, for the harness's side calls to the target
    /// (its `/metrics`), which go through an ordinary HTTP client.
    public func sideChannelConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if insecure { configuration.certificateVerification = .none }
        if let caCertificatesPath { configuration.trustRoots = .file(caCertificatesPath) }
        if let clientCertificatePath, let clientKeyPath {
            configuration.certificateChain = [.file(clientCertificatePath)]
            configuration.privateKey = .file(clientKeyPath)
        }
        return configuration
    }
}

/// TLS for one run: one context for every connection, a handler per connection, and the server's
/// certificate checked with a reason when it fails (an unknown authority, an expired certificate,
/// a name that does not match), where the TLS library alone would say only "verify failed".
final class TLSClient: Sendable {
    private let context: NIOSSLContext
    private let host: String
    private let hostIsAddress: Bool
    private let roots: CertificateStore?
    let handshakeTimeout: TimeAmount
    /// Why a handshake that took too long failed.
    let timeoutReason: String

    /// `http2`: offer only `h2` by ALPN; else only `http/1.1`.
    init(options: TLSOptions, host: String, http2: Bool = false) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = http2 ? ["h2"] : ["http/1.1"]
        if options.insecure {
            configuration.certificateVerification = .none
            roots = nil
        } else if let path = options.caCertificatesPath {
            roots = CertificateStore(try Self.certificates(at: path, what: "--cacert"))
        } else {
            roots = CertificateStore.systemTrustRoots
        }
        switch (options.clientCertificatePath, options.clientKeyPath) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            configuration.certificateChain = try Self.read(certificate, what: "--cert") {
                try NIOSSLCertificate.fromPEMFile($0).map { .certificate($0) }
            }
            configuration.privateKey = try Self.read(key, what: "--key") { .privateKey(try NIOSSLPrivateKey(file: $0, format: .pem)) }
        default:
            throw LoadEngineError.invalidPlan("a client certificate needs both --cert and --key")
        }
        context = try NIOSSLContext(configuration: configuration)
        let name = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.host = name
        hostIsAddress = (try? SocketAddress(ipAddress: name, port: 0)) != nil
        handshakeTimeout = .nanoseconds(Int64(options.handshakeTimeout.nanoseconds))
        timeoutReason = "no finished handshake within \(options.handshakeTimeout.nanoseconds / 1_000_000) ms"
    }

    /// The handler for a new connection; why its server's certificate was refused, if it was, goes
    /// into `refusal`.
    func makeHandler(refusal: NIOLockedValueBox<String?>) throws -> NIOSSLClientHandler {
        // Server Name Indication carries names, never addresses.
        let serverName = hostIsAddress ? nil : host
        guard let roots else { return try NIOSSLClientHandler(context: context, serverHostname: serverName) }
        let host = self.host, hostIsAddress = self.hostIsAddress
        return try NIOSSLClientHandler(context: context, serverHostname: serverName) { chain, promise in
            promise.completeWithTask {
                let reason = await Self.refusal(of: chain, host: host, hostIsAddress: hostIsAddress, roots: roots, now: Date())
                refusal.withLockedValue { $0 = reason }
                return reason == nil ? .certificateVerified : .failed
            }
        }
    }

    /// Why the server's chain is not to be trusted for `host`, or nil when it is.
    static func refusal(of chain: [NIOSSLCertificate], host: String, hostIsAddress: Bool, roots: CertificateStore, now: Date) async -> String? {
        let certificates: [Certificate]
        do {
            certificates = try chain.map { try Certificate(derEncoded: try $0.toDERBytes()) }
        } catch {
            return "the server's certificate cannot be read: \(error)"
        }
        guard let leaf = certificates.first else { return "the server sent no certificate" }
        let dates = Date.ISO8601FormatStyle()
        if now > leaf.notValidAfter { return "certificate expired on \(leaf.notValidAfter.formatted(dates))" }
        if now < leaf.notValidBefore { return "certificate not valid before \(leaf.notValidBefore.formatted(dates))" }
        var trust = Verifier(rootCertificates: roots) { RFC5280Policy(validationTime: now) }
        if case .couldNotValidate(let failures) = await trust.validate(leaf: leaf, intermediates: CertificateStore(certificates.dropFirst())) {
            let detail = failures.first.map { ": \($0.policyFailureReason)" } ?? ""
            return "unknown certificate authority: no trusted root issued the chain of \(leaf.subject) (issuer \(leaf.issuer))\(detail)"
        }
        // A certificate that names its uses must name serving (RFC 5280, 4.2.1.12), as the TLS
        // library's own check requires.
        if let usages = try? leaf.extensions.extendedKeyUsage, !usages.contains(.serverAuth), !usages.contains(.any) {
            return "the certificate of \(leaf.subject) is not for servers (its extended key usage: \(Array(usages)))"
        }
        // The chain is trusted; with the server's name as a further policy (alone, it would leave the
        // extensions only the RFC 5280 policy handles unhandled), a failure can only be the name.
        var identity = Verifier(rootCertificates: roots) {
            RFC5280Policy(validationTime: now)
            ServerIdentityPolicy(serverHostname: hostIsAddress ? nil : host, serverIP: hostIsAddress ? host : nil)
        }
        if case .couldNotValidate = await identity.validate(leaf: leaf, intermediates: CertificateStore(certificates.dropFirst())) {
            return "name mismatch: the certificate of \(leaf.subject) is not for \(host)"
        }
        return nil
    }

    /// Why a handshake failed, in a user's words: the refusal found while checking the
    /// certificate, else the TLS library's own error.
    static func failureReason(_ error: any Error, refusal: String?) -> String {
        if let refusal { return refusal }
        if let error = error as? NIOSSLError, case .handshakeFailed(let inner) = error { return "handshake failed: \(inner)" }
        return "\(error)"
    }

    private static func certificates(at path: String, what flag: String) throws -> [Certificate] {
        try read(path, what: flag) { path in
            let documents = try PEMDocument.parseMultiple(pemString: try String(contentsOfFile: path, encoding: .utf8))
            let certificates = try documents.map { try Certificate(pemDocument: $0) }
            guard !certificates.isEmpty else { throw LoadEngineError.invalidPlan("no PEM certificate in it") }
            return certificates
        }
    }

    /// Reads a file the user named; a failure is a plan error naming the flag and the file.
    private static func read<Value>(_ path: String, what flag: String, _ body: (String) throws -> Value) throws -> Value {
        do {
            return try PEMFile.read(path, flag: flag, body)
        } catch {
            throw LoadEngineError.invalidPlan(error.description)
        }
    }
}
