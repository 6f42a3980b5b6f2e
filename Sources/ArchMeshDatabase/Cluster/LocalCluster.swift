import Foundation
import Subprocesses
import Logging

/// A PostgreSQL cluster in a folder of ours, run with the installed `initdb` and `pg_ctl`.
///
/// Layout: `<root>/data` (the cluster), `<root>/postgres.log` (its log), `<root>/.s.PGSQL.*` (its socket).
/// Both the throwaway embedded cluster and the persistent `archmesh db` cluster are one of these.
struct LocalCluster: Sendable {
    let root: URL
    let binaries: PostgresBinaries
    let owner: ClusterOwner

    var dataDirectory: URL { root.appendingPathComponent("data") }
    var logFile: URL { root.appendingPathComponent("postgres.log") }

    var isInitialized: Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
    }

    /// Creates the cluster with one password-protected superuser.
    func initialize(username: String, password: String) async throws {
        owner.own(root.path)
        let passwordFile = root.appendingPathComponent("initdb-password")
        _ = FileManager.default.createFile(atPath: passwordFile.path, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
        owner.own(passwordFile.path)
        defer { try? FileManager.default.removeItem(at: passwordFile) }
        let (executable, arguments) = owner.command(binaries.initdb, [
            "-D", dataDirectory.path, "-U", username, "--pwfile=\(passwordFile.path)",
            "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        ])
        let output = try await ChildProcess.run(executable.path, arguments)
        guard output.status == 0 else { throw DatabaseError.clusterFailed(step: "initdb", output: output.text) }
        let settings = """

            # archmesh: a private cluster on loopback, with query statistics for the harness.
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(root.path)'
            shared_preload_libraries = 'pg_stat_statements'
            pg_stat_statements.track = top
            pg_stat_statements.max = 5000
            # Room for many servers at once (the tests run dozens in parallel, each pool opening
            # all its connections as it starts) beside the harness's own connections.
            max_connections = 500

            """
        let configuration = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: configuration)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
    }

    /// Starts the cluster on `port` and waits until it accepts connections.
    func start(port: Int) async throws {
        let (executable, arguments) = owner.command(binaries.pgCtl, [
            "-D", dataDirectory.path, "-l", logFile.path, "-o", "-p \(port)", "-w", "-t", "60", "start",
        ])
        let output = try await ChildProcess.run(executable.path, arguments)
        guard output.status == 0 else {
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            throw DatabaseError.clusterFailed(step: "start", output: output.text + "\n" + log)
        }
    }

    /// Stops the cluster: a fast shutdown, and an immediate one if that does not finish; returns
    /// once the postmaster process itself is gone, not just its pid file.
    func stop() async {
        let postmaster = postmasterPID
        for mode in ["fast", "immediate"] {
            let (executable, arguments) = owner.command(binaries.pgCtl, ["-D", dataDirectory.path, "-m", mode, "-w", "-t", "30", "stop"])
            if let output = try? await ChildProcess.run(executable.path, arguments), output.status == 0 { break }
            if !isRunning { break }
        }
        if let postmaster { await Self.waitUntilGone(postmaster) }
    }

    /// The same as `stop()`, without Swift concurrency: for exit handlers.
    func stopImmediatelyBlocking() {
        let (executable, arguments) = owner.command(binaries.pgCtl, ["-D", dataDirectory.path, "-m", "immediate", "-w", "-t", "10", "stop"])
        _ = try? ChildProcess.runBlocking(executable.path, arguments)
    }

    /// The postmaster's process ID from `postmaster.pid`, while that file exists.
    var postmasterPID: pid_t? {
        guard let pidText = try? String(contentsOf: dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8),
            let firstLine = pidText.split(separator: "\n").first
        else { return nil }
        return pid_t(firstLine)
    }

    /// True while the postmaster recorded in `postmaster.pid` is alive.
    var isRunning: Bool {
        guard let pid = postmasterPID else { return false }
        return Self.isAlive(pid)
    }

    /// True while `pid` exists and is not a zombie waiting to be reaped.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    /// Polls until `pid` has exited, for at most ten seconds.
    static func waitUntilGone(_ pid: pid_t) async {
        for _ in 0..<200 where isAlive(pid) {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
