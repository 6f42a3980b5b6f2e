import Foundation
import NIOSSL
import Observability

/// The server's TLS, from the PEM files `archmesh serve --tls-cert --tls-key` names.
enum ServerTLS {
    static func configuration(certificateChain: String, privateKey: String) throws -> TLSConfiguration {
        let chain = try PEMFile.read(certificateChain, flag: "--tls-cert") { try NIOSSLCertificate.fromPEMFile($0) }
        guard !chain.isEmpty else { throw PEMFile.Failure(description: "--tls-cert \(certificateChain): no PEM certificate in it") }
        let key = try PEMFile.read(privateKey, flag: "--tls-key") { try NIOSSLPrivateKey(file: $0, format: .pem) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.applicationProtocols = ["http/1.1"]
        return configuration
    }
}
