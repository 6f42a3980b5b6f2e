import Foundation
import Subprocesses
import Logging
import Synchronization

/// A private, throwaway PostgreSQL cluster: made in a temporary folder, on a free loopback port,
/// stopped and removed by `stop()`, at process exit, or by a watchdog if this process dies.
public final class EmbeddedCluster: Sendable {
    /// The `archmesh` database on the cluster, as its superuser.
    public let url: DatabaseURL
    /// The temporary folder that holds the cluster and its log.
    public let directory: URL
    let cluster: LocalCluster
    private let watchdogPID: Int32
    private let stopped = Mutex(false)

    /// The superuser and database name the embedded cluster is made with.
    public static let username = "archmesh"
    public static let databaseName = "archmesh"

    private init(url: DatabaseURL, cluster: LocalCluster, watchdogPID: Int32) {
        self.url = url
        self.directory = cluster.root
        self.cluster = cluster
        self.watchdogPID = watchdogPID
    }

    /// PostgreSQL's own log for this cluster.
    public var logFile: URL { cluster.logFile }

    /// The postmaster's process ID (its backends are its children), while the cluster runs.
    public var postmasterPID: Int32? { cluster.postmasterPID }

    /// Makes, starts and prepares a new cluster; throws `DatabaseError.missingPostgres` when the
    /// server programs are not installed.
    public static func start(logger: Logger) async throws -> EmbeddedCluster {
        let binaries = try PostgresBinaries.locate()
        let owner = try ClusterOwner.current()
        let root = try makeTemporaryDirectory()
        let cluster = LocalCluster(root: root, binaries: binaries, owner: owner)
        // The watchdog goes first: whatever happens from here on, the folder does not outlive us.
        let watchdogPID = try startWatchdog(for: cluster)
        let password = ClusterPassword.generate()
        do {
            try await cluster.initialize(username: username, password: password)
            var lastError: (any Error)?
            for _ in 0..<3 {
                // The port is free when asked but may be taken before PostgreSQL binds it: retry.
                let port = try FreePort.loopback()
                do {
                    try await cluster.start(port: port)
                    let admin = DatabaseURL(host: "127.0.0.1", port: port, username: username, password: password, database: "postgres")
                    try await admin.withConnection(logger: logger) { connection in
                        _ = try await connection.query("CREATE DATABASE \(unescaped: databaseName)", logger: logger)
                    }
                    let embedded = EmbeddedCluster(url: admin.with(database: databaseName), cluster: cluster, watchdogPID: watchdogPID)
                    ExitCleanup.register(embedded)
                    logger.debug("embedded PostgreSQL started", metadata: ["url": "\(embedded.url)", "directory": "\(root.path)"])
                    return embedded
                } catch {
                    lastError = error
                    await cluster.stop()
                }
            }
            throw lastError ?? DatabaseError.noFreePort
        } catch {
            await cluster.stop()
            try? FileManager.default.removeItem(at: root)
            Self.stopWatchdog(watchdogPID)
            throw error
        }
    }

    /// Creates another database on this cluster (tests use one per suite) and returns its URL.
    public func createDatabase(named name: String, logger: Logger) async throws -> DatabaseURL {
        try await url.withConnection(logger: logger) { connection in
            _ = try await connection.query("CREATE DATABASE \(unescaped: "\"\(name)\"")", logger: logger)
        }
        return url.with(database: name)
    }

    /// Takes PostgreSQL down (a fast shutdown) and keeps its folder, to simulate an outage; `resume()`
    /// brings it back on the same port.
    public func interrupt() async {
        await cluster.stop()
    }

    /// Starts the cluster again after `interrupt()`, on its port, and waits until it accepts connections.
    public func resume() async throws {
        try await cluster.start(port: url.port)
    }

    /// Stops the cluster and removes its folder; calling it again does nothing.
    public func stop() async {
        guard markStopped() else { return }
        await cluster.stop()
        try? FileManager.default.removeItem(at: directory)
        Self.stopWatchdog(watchdogPID)
        ExitCleanup.unregister(self)
    }

    /// `stop()` for exit handlers, where no task can be awaited.
    func stopBlocking() {
        guard markStopped() else { return }
        cluster.stopImmediatelyBlocking()
        try? FileManager.default.removeItem(at: directory)
        Self.stopWatchdog(watchdogPID)
    }

    private func markStopped() -> Bool {
        stopped.withLock { wasStopped in
            defer { wasStopped = true }
            return !wasStopped
        }
    }

    /// Ends the watchdog (its job is done) and reaps it.
    private static func stopWatchdog(_ pid: pid_t) {
        let watchdog = ChildProcess(pid: pid)
        watchdog.signal(SIGTERM)
        _ = watchdog.waitBlocking()
    }

    private static func makeTemporaryDirectory() throws -> URL {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/archmesh-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw DatabaseError.clusterFailed(step: "temporary folder", output: String(cString: strerror(errno)))
        }
        return URL(fileURLWithPath: String(cString: made))
    }

    /// A shell in its own session that waits for this process to end, then stops the cluster and
    /// removes its folder. It covers what no handler of ours can: SIGKILL, a crash, a test runner exiting.
    private static func startWatchdog(for cluster: LocalCluster) throws -> Int32 {
        let (pgCtl, stopArguments) = cluster.owner.command(
            cluster.binaries.pgCtl, ["-D", cluster.dataDirectory.path, "-m", "immediate", "-w", "-t", "10", "stop"])
        let stopCommand = ([pgCtl.path] + stopArguments).map { "'\($0)'" }.joined(separator: " ")
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.2; done
            if [ -f '\(cluster.dataDirectory.path)/postmaster.pid' ]; then \(stopCommand) >/dev/null 2>&1; fi
            rm -rf '\(cluster.root.path)'
            """
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(null) }
        return try ChildProcess.launch("/bin/sh", ["-c", script], output: null).pid
    }
}
