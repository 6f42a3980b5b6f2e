import ArchMeshDatabase
import Foundation
import LoadEngine
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

    private init(child: ChildProcess, target: LoadTarget, logFile: URL, faultToken: String?) {
        self.child = child
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
            "serve", "--port", "0", "--pool-size", String(options.poolSize), "--log-format", "json",
            "--exit-with-parent", String(getpid()),
        ]
        if options.logRequests { arguments.append("--log-requests") }
        let token = options.enableFaults ? "harness-" + LoadPlan.makeRunTag() + LoadPlan.makeRunTag() : nil
        if token != nil { arguments += ["--enable-faults"] }
        var environment = ["DATABASE_URL": options.database.secretURLString]
        if let token { environment["ARCHMESH_FAULT_TOKEN"] = token }
        let child = try ChildProcess.launch(options.executable, arguments, output: descriptor, environment: environment)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOf: options.logFile, encoding: .utf8)) ?? ""
            if let range = log.range(of: "listening on http://"), let line = log[range.upperBound...].split(separator: "\n").first {
                let address = line.split(separator: ":")
                if address.count == 2, let port = Int(address[1]) {
                    return ServerProcess(child: child, target: LoadTarget(host: String(address[0]), port: port), logFile: options.logFile, faultToken: token)
                }
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
            "PUT", target.description + "/_faults", headers: [("X-Fault-Token", faultToken), ("Content-Type", "application/json")], body: Array(json.utf8))
        guard response.status == 200 else { throw SuiteError.environment("setting faults failed with \(response.status): \(response.text)") }
    }

    /// Clears every injected fault.
    public func clearFaults() async throws {
        guard let faultToken else { return }
        _ = try await HTTPFetch.send("DELETE", target.description + "/_faults", headers: [("X-Fault-Token", faultToken)])
    }

    /// The path of the running executable, to start the server from the same build.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
