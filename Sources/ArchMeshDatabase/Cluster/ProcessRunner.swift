import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the PostgreSQL tools as child processes with `posix_spawn` and `waitpid`.
///
/// Each child gets a session of its own, so a Ctrl-C on the terminal reaches us and not PostgreSQL
/// (we stop it ourselves, in order). Output goes to a temporary file rather than a pipe: a daemon
/// that inherits a pipe would otherwise keep us waiting for an end of file that never comes.
enum ProcessRunner {
    struct Output: Sendable {
        var status: Int32
        var text: String
    }

    /// `POSIX_SPAWN_SETSID` (glibc 2.26 and later), not exported to Swift as a constant.
    private static let spawnSetSID: Int16 = 0x80

    /// Runs `executable` and waits for it, off Swift's cooperative threads (the wait blocks).
    static func run(_ executable: URL, _ arguments: [String]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(executable, arguments) })
            }
        }
    }

    /// Runs `executable` and waits for it on the calling thread; stdout and stderr are captured together.
    static func runBlocking(_ executable: URL, _ arguments: [String]) throws -> Output {
        var template = Array("/tmp/archmesh-output-XXXXXX".utf8CString)
        let outputDescriptor = mkstemp(&template)
        guard outputDescriptor >= 0 else { throw spawnError(executable, errno) }
        let outputPath = String(cString: template)
        unlink(outputPath)
        defer { close(outputDescriptor) }
        let pid = try spawn(executable, arguments, stdout: outputDescriptor)
        let status = waitForExit(pid)
        lseek(outputDescriptor, 0, SEEK_SET)
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(outputDescriptor, &chunk, chunk.count)
            if count <= 0 { break }
            data.append(contentsOf: chunk[0..<count])
        }
        return Output(status: status, text: String(decoding: data, as: UTF8.self))
    }

    /// Starts a process that outlives the call (the cluster's watchdog); its output is discarded.
    static func launchDetached(_ executable: URL, _ arguments: [String]) throws -> pid_t {
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(null) }
        return try spawn(executable, arguments, stdout: null)
    }

    /// Ends a detached process and reaps it.
    static func terminate(_ pid: pid_t) {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    private static func spawn(_ executable: URL, _ arguments: [String], stdout: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stdout, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, spawnSetSID)
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable.path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw spawnError(executable, result) }
        return pid
    }

    private static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        if status & 0x7F == 0 { return (status >> 8) & 0xFF }
        return 128 + (status & 0x7F)
    }

    private static func spawnError(_ executable: URL, _ code: Int32) -> DatabaseError {
        DatabaseError.clusterFailed(step: "running \(executable.lastPathComponent)", output: String(cString: strerror(code)))
    }
}
