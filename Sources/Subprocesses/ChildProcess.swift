import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Child processes started with `posix_spawn` and reaped with `waitpid`: the PostgreSQL tools, the
/// cluster's watchdog, and the server the harness measures.
///
/// Each child gets a session of its own, so a Ctrl-C on the terminal reaches us and not it: we stop
/// our children ourselves, in order. (Foundation's `Process` was tried first: it missed the exit of
/// reaped children and hung the tests.)
public struct ChildProcess: Sendable {
    public let pid: pid_t

    /// A child started elsewhere (for example, a watchdog whose PID was kept).
    public init(pid: pid_t) {
        self.pid = pid
    }

    /// `POSIX_SPAWN_SETSID` (glibc 2.26 and later), not exported to Swift as a constant.
    private static let spawnSetSID: Int16 = 0x80

    /// What a finished child left: its exit status (128 + signal when killed) and its output.
    public struct Output: Sendable {
        public var status: Int32
        public var text: String
    }

    /// Starts `executable` with stdin from /dev/null and stdout and stderr to `output` (a file
    /// descriptor the caller keeps), in a new session; `environment` adds to or replaces ours.
    ///
    /// The child gets those three descriptors and no other. SwiftNIO opens its sockets without
    /// close-on-exec, so a child would otherwise inherit every connection this process holds, and
    /// a long-lived one (a PostgreSQL server) would keep them open after we close them: the peer
    /// never sees the close, and a dropped connection looks like a hang.
    public static func launch(
        _ executable: String, _ arguments: [String], output: Int32, environment: [String: String] = [:]
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A clean start: no signal blocked, and the signals a child is stopped with at their default,
        // whatever the spawning thread blocks (Swift's and SwiftNIO's threads block some) or this
        // process ignores (the command line takes SIGINT itself). perf, for one, stops on SIGINT.
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, spawnSetSID | Int16(POSIX_SPAWN_SETSIGMASK) | Int16(POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnError(executable: executable, reason: String(cString: strerror(result))) }
        return ChildProcess(pid: pid)
    }

    /// The first executable called `name` in the folders of `PATH` (`/usr/bin:/bin` without one).
    public static func onPath(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `executable` to its end on the calling thread and returns its status and output;
    /// `environment` adds to or replaces ours.
    public static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let output = try TemporaryOutput()
        defer { output.close() }
        let child = try launch(executable, arguments, output: output.descriptor, environment: environment)
        let status = child.waitBlocking()
        return Output(status: status, text: output.contents())
    }

    /// The same, off Swift's cooperative threads (the wait blocks a thread of its own).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(executable, arguments, environment: environment) })
            }
        }
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34 and later), which Swift's Glibc module
    /// does not export: looked up once.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Closes every descriptor above stderr in the child: at once with `closefrom` where glibc has
    /// it, else each descriptor open now (one another thread opens meanwhile could slip through).
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }

    /// Waits for the child to exit; returns its status (128 + signal when a signal ended it).
    public func waitBlocking() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS and WTERMSIG, which Swift does not import.
        if status & 0x7F == 0 { return (status >> 8) & 0xFF }
        return 128 + (status & 0x7F)
    }

    /// Waits without blocking a cooperative thread.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: waitBlocking()) }
        }
    }

    /// The exit status if the child has ended (and reaps it), nil while it runs; -1 when it was
    /// already reaped (its status went to an earlier wait).
    public func exitStatusIfEnded() -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result < 0 && errno == ECHILD { return -1 }
        guard result == pid else { return nil }
        if status & 0x7F == 0 { return (status >> 8) & 0xFF }
        return 128 + (status & 0x7F)
    }

    /// Sends `signal`.
    public func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Ends the child and reaps it: SIGTERM, then SIGKILL after `grace`.
    public func terminate(grace: Duration = .seconds(10)) async -> Int32 {
        // Never signal a child that has already been reaped: its PID may belong to another process by now.
        if let status = exitStatusIfEnded() { return status }
        signal(SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if let status = exitStatusIfEnded() { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        signal(SIGKILL)
        return await wait()
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var executable: String
        public var reason: String
        public var description: String { "cannot run \(executable): \(reason)" }
    }
}

/// An unlinked temporary file to collect a child's output in: unlike a pipe, a daemon the child
/// leaves behind cannot keep us waiting for an end of file.
public struct TemporaryOutput: Sendable {
    public let descriptor: Int32

    public init() throws {
        var template = Array("/tmp/archmesh-output-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else {
            throw ChildProcess.SpawnError(executable: "mkstemp", reason: String(cString: strerror(errno)))
        }
        unlink(String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        self.descriptor = descriptor
    }

    /// Everything written so far.
    public func contents() -> String {
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var offset: off_t = 0
        while true {
            let count = pread(descriptor, &chunk, chunk.count, offset)
            if count <= 0 { break }
            data.append(contentsOf: chunk[0..<count])
            offset += off_t(count)
        }
        return String(decoding: data, as: UTF8.self)
    }

    public func close() {
        _ = Glibc.close(descriptor)
    }
}
