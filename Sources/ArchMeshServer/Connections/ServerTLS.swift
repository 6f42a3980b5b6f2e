import Foundation
import NIOSSL

/// The server's TLS, from the PEM files `archmesh serve --tls-cert --tls-key` names.
enum ServerTLS {
    /// A file that cannot be used, named with what was wrong.
    struct FileError: Error, CustomStringConvertible {
        var description: String
    }

    static func configuration(certificateChain: String, privateKey: String) throws -> TLSConfiguration {
        let chain = try read(certificateChain, "--tls-cert") { try NIOSSLCertificate.fromPEMFile($0) }
        guard !chain.isEmpty else { throw FileError(description: "--tls-cert \(certificateChain): no PEM certificate in it") }
        let key = try read(privateKey, "--tls-key") { try NIOSSLPrivateKey(file: $0, format: .pem) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.applicationProtocols = ["http/1.1"]
        return configuration
    }

    private static func read<Value>(_ path: String, _ flag: String, _ body: (String) throws -> Value) throws -> Value {
        guard FileManager.default.isReadableFile(atPath: path) else { throw FileError(description: "\(flag) \(path): no such readable file") }
        do {
            return try body(path)
        } catch {
            throw FileError(description: "\(flag) \(path): not a PEM file of the expected kind (\(error))")
        }
    }
}
