import ArgumentParser
import LoadEngine

/// How the load speaks TLS to an https:// target: the flags curl, k6 and wrk users know.
struct TLSClientOptions: ParsableArguments {
    @Option(name: .customLong("cacert"), help: "A PEM file of the certificate authorities to trust instead of the system's (https://).")
    var caCertificates: String?

    @Flag(help: "Do not check the server's certificate at all (https://); the result says so.")
    var insecure = false

    @Option(name: .customLong("cert"), help: "A client certificate, PEM, for servers that ask for one (with --key).")
    var clientCertificate: String?

    @Option(name: .customLong("key"), help: "The client certificate's private key, PEM.")
    var clientKey: String?

    @Option(help: "A TLS handshake not done after this long fails its connection as tls.", transform: Load.parseDuration)
    var handshakeTimeout: Duration = .seconds(10)

    func validate() throws {
        if (clientCertificate == nil) != (clientKey == nil) { throw ValidationError("--cert and --key go together") }
        if insecure && caCertificates != nil { throw ValidationError("--insecure checks no certificate; --cacert would be ignored") }
    }

    var options: TLSOptions {
        var options = TLSOptions()
        options.caCertificatesPath = caCertificates
        options.insecure = insecure
        options.clientCertificatePath = clientCertificate
        options.clientKeyPath = clientKey
        options.handshakeTimeout = handshakeTimeout
        return options
    }
}
