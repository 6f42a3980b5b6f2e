import ArchMeshDatabase
import Foundation
import LoadEngine
import NIOSSL
import Subprocesses
import TargetMonitoring

/// The reference server as a child process (`archmesh serve`), so that its CPU and memory are
/// measured apart from the harness's. It gets a session of its own (a Ctrl-C reaches the harness,
/// which stops it in order) and exits by itself if the harness dies.
public final class ServerProcess: Sendable {
    public let child: ChildProcess
    public let target: LoadTarget
    /// Where the server's log goes (JSON lines, with every request's ID when `logRequests`).
    public let logFile: URL
    /// The fault token, when started with faults enabled.
    public let faultToken: String?

    /// How the harness's own calls (faults) trust the server's certificate, over HTTPS.
    private let sideChannelTLS: TLSConfiguration?

    private init(child: ChildProcess, target: LoadTarget, logFile: URL, faultToken: String?, tls: ServerTLS?) {
        self.child = child
        sideChannelTLS = tls.map { $0.clientOptions.sideChannelConfiguration() }
        self.target = target
        self.logFile = logFile
        self.faultToken = faultToken
    }

    public var pid: Int32 { child.pid }

    /// Options for the child server.
    public struct Options: Sendable {
        public var executable: String
        public var database: DatabaseURL
        public var logFile: URL
        public var poolSize = 20
        /// Log every request with its ID, so a report's exemplars can be found in the log.
        public var logRequests = true
        /// Start with `/_faults` enabled, under a fresh random token.
        public var enableFaults = false
        /// Serve HTTPS (see `ServerTLS`).
        public var tls: ServerTLS?
        /// Serve HTTP/2 (h2 by ALPN beside HTTP/1.1 over TLS; h2c alone without).
        public var http2 = false
        /// The address it listens on: loopback, or the bridge of the workers' network namespaces.
        public var host = "127.0.0.1"
        /// `serve --rate-limit` (`100/s`) and `--rate-limit-burst`: the API limited per client address.
        public var rateLimit: String?
        public var rateLimitBurst: Int?

        public init(executable: String, database: DatabaseURL, logFile: URL) {
            self.executable = executable
            self.database = database
            self.logFile = logFile
        }
    }

    /// Starts the server on a free port and waits until it listens (at most `timeout`).
    public static func start(_ options: Options, timeout: Duration = .seconds(60)) async throws -> ServerProcess {
        _ = FileManager.default.createFile(atPath: options.logFile.path, contents: nil)
        let descriptor = open(options.logFile.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw SuiteError.environment("cannot write the server log \(options.logFile.path)") }
        defer { close(descriptor) }
        var arguments = [
            "serve", "--host", options.host, "--port", "0", "--pool-size", String(options.poolSize), "--log-format", "json",
            "--exit-with-parent", String(getpid()),
        ]
        if options.logRequests { arguments.append("--log-requests") }
        if let tls = options.tls { arguments += ["--tls-cert", tls.certificate, "--tls-key", tls.key] }
        if options.http2 { arguments.append("--http2") }
        if let rate = options.rateLimit { arguments += ["--rate-limit", rate] }
        if let burst = options.rateLimitBurst { arguments += ["--rate-limit-burst", String(burst)] }
        let token = options.enableFaults ? "harness-" + LoadPlan.makeRunTag() + LoadPlan.makeRunTag() : nil
        if token != nil { arguments += ["--enable-faults"] }
        var environment = ["DATABASE_URL": options.database.secretURLString]
        if let token { environment["ARCHMESH_FAULT_TOKEN"] = token }
        let child = try ChildProcess.launch(options.executable, arguments, output: descriptor, environment: environment)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOf: options.logFile, encoding: .utf8)) ?? ""
            // `serve` prints `listening on http[s]://HOST:PORT` on a line of its own, among its JSON log lines.
            if let line = log.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                let target = try? LoadTarget(url: String(line.dropFirst("listening on ".count)))
            {
                return ServerProcess(child: child, target: target, logFile: options.logFile, faultToken: token, tls: options.tls)
            }
            if let status = child.exitStatusIfEnded() {
                let tail = log.split(separator: "\n").suffix(10).joined(separator: "\n")
                throw SuiteError.environment("the server exited with status \(status) before listening:\n\(tail)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        _ = await child.terminate()
        throw SuiteError.environment("the server did not start listening within \(timeout)")
    }

    /// Stops the server gracefully (SIGTERM, then SIGKILL after 10 s) and reaps it.
    public func stop() async {
        _ = await child.terminate()
    }

    /// Kills the server at once (for fault tests).
    public func kill() async {
        child.signal(SIGKILL)
        _ = await child.wait()
    }

    /// Sets the server's injected faults (it must have been started with `enableFaults`).
    public func setFaults(_ json: String) async throws {
        guard let faultToken else { throw SuiteError.environment("the server was started without fault injection") }
        let response = try await HTTPFetch.send(
            "PUT", target.description + "/_faults", headers: [("X-Fault-Token", faultToken), ("Content-Type", "application/json")], body: Array(json.utf8),
            tls: sideChannelTLS)
        guard response.status == 200 else { throw SuiteError.environment("setting faults failed with \(response.status): \(response.text)") }
    }

    /// Clears every injected fault.
    public func clearFaults() async throws {
        guard let faultToken else { return }
        _ = try await HTTPFetch.send("DELETE", target.description + "/_faults", headers: [("X-Fault-Token", faultToken)], tls: sideChannelTLS)
    }

    /// The path of the running executable, to start the server from the same build.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// The reference server over HTTPS with a certificate from a throwaway authority made for the run
/// (`run --tls`): the load and the harness trust that authority alone, and its files, in a
/// directory of their own readable by this user only, go when the run ends.
public struct ServerTLS: Sendable {
    public let certificate: String
    public let key: String
    /// The authority's certificate, PEM.
    public let authority: String

    /// A new authority and a certificate for `localhost` and 127.0.0.1, written to files.
    public static func makeThrowaway() throws -> ServerTLS {
        let authority = try CertificateAuthority(name: "archmesh run --tls (throwaway)")
        let issued = try authority.issue()
        let directory = try CertificateAuthority.privateDirectory()
        let authorityFile = directory.appendingPathComponent("ca.pem")
        let certificate = directory.appendingPathComponent("server.pem")
        let key = directory.appendingPathComponent("server.key")
        do {
            try authority.pem.write(to: authorityFile, atomically: true, encoding: .utf8)
            try issued.certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
            try issued.keyPEM.write(to: key, atomically: true, encoding: .utf8)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        return ServerTLS(certificate: certificate.path, key: key.path, authority: authorityFile.path)
    }

    /// The load's TLS: the throwaway authority trusted, verification on.
    public var clientOptions: TLSOptions {
        var options = TLSOptions()
        options.caCertificatesPath = authority
        return options
    }

    /// Removes the files.
    public func remove() {
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: authority).deletingLastPathComponent())
    }
}
