import Crypto
import Foundation
import SwiftASN1
import X509

/// A throwaway certificate authority, made fresh in memory, and the certificates it issues: for a
/// server under any names, already expired, or for a client. `run --tls` serves the reference
/// server with one of its certificates (the load trusts the authority, nothing else does); the
/// TLS tests make their own.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    private let key: P256.Signing.PrivateKey

    public init(name: String = "archmesh throwaway CA") throws {
        key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now - 86_400, notValidAfter: now + 30 * 86_400, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
    }

    /// The authority's certificate, PEM-encoded.
    public var pem: String {
        get throws { try certificate.serializeAsPEM().pemString }
    }

    /// A certificate and its private key, PEM-encoded.
    public struct Issued: Sendable {
        public let certificatePEM: String
        public let keyPEM: String
    }

    /// A certificate for `names` (DNS) and `addresses` (IPv4 or IPv6 bytes), valid from
    /// `notValidBefore` to `notValidAfter`, for a server, or for a client with `client`.
    public func issue(
        names: [String] = ["localhost"], addresses: [[UInt8]] = [[127, 0, 0, 1]],
        notValidBefore: Date = Date() - 3_600, notValidAfter: Date = Date() + 86_400, client: Bool = false
    ) throws -> Issued {
        let leafKey = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(names.first ?? "archmesh test client") }
        let alternativeNames = names.map { GeneralName.dnsName($0) } + addresses.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(leafKey.publicKey),
            notValidBefore: notValidBefore, notValidAfter: notValidAfter, issuer: certificate.subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([client ? .clientAuth : .serverAuth])
                if !alternativeNames.isEmpty { SubjectAlternativeNames(alternativeNames) }
            },
            issuerPrivateKey: .init(key))
        return Issued(certificatePEM: try leaf.serializeAsPEM().pemString, keyPEM: leafKey.pemRepresentation)
    }

    /// A new directory in the temporary directory, readable by this user alone; the caller removes it.
    public static func privateDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return directory
    }

    /// Writes `text` to a new file, readable by this user alone, and returns its path. The files of
    /// one process share a directory that is removed when the process exits (the TLS tests write
    /// a few dozen per run and would otherwise leave them in the temporary directory).
    public static func file(_ text: String, named name: String) throws -> String {
        let directory = try processDirectory.get().appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private static let processDirectory: Result<URL, any Error> = Result {
        let directory = try privateDirectory()
        atexit { CertificateAuthority.removeProcessDirectory() }
        return directory
    }

    private static func removeProcessDirectory() {
        if case .success(let directory) = processDirectory { try? FileManager.default.removeItem(at: directory) }
    }
}
