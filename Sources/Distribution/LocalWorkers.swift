import Foundation
import Subprocesses

/// Worker processes on this machine for `archmesh run --workers N`: each is `archmesh worker`
/// with the environment a Kubernetes pod gets, so a local run takes the pods' code path and
/// differs only in who starts the processes. Each writes its log to a file of its own.
public final class LocalWorkers: Sendable {
    public let logs: [URL]
    private let children: [ChildProcess]

    private init(children: [ChildProcess], logs: [URL]) {
        self.children = children
        self.logs = logs
    }

    /// Starts `count` workers of `executable`, logs as `<logStem>.worker-<index>.log`; a worker
    /// given `wrapper` runs inside it (`ip netns exec NAME`, for example).
    public static func start(
        executable: String, count: Int, coordinator: String, configPath: String?, logStem: URL,
        wrapper: @Sendable (Int) -> [String] = { _ in [] }
    ) throws -> LocalWorkers {
        var children: [ChildProcess] = []
        var logs: [URL] = []
        do {
            for index in 0..<count {
                let log = URL(fileURLWithPath: logStem.path + ".worker-\(index).log")
                _ = FileManager.default.createFile(atPath: log.path, contents: nil)
                let descriptor = open(log.path, O_WRONLY | O_APPEND | O_CLOEXEC)
                guard descriptor >= 0 else { throw WorkerError("cannot write the worker log \(log.path)") }
                defer { close(descriptor) }
                let command = wrapper(index) + [executable, "worker", "--exit-with-parent", String(getpid())]
                children.append(try ChildProcess.launch(
                    command[0], Array(command.dropFirst()), output: descriptor,
                    environment: WorkerEnvironment.variables(coordinator: coordinator, index: index, configPath: configPath)))
                logs.append(log)
            }
        } catch {
            for child in children { child.signal(SIGKILL); _ = child.waitBlocking() }
            throw error
        }
        return LocalWorkers(children: children, logs: logs)
    }

    /// A worker that has exited before it should (with its status and last log line), if any.
    public var exited: String? {
        for (index, child) in children.enumerated() {
            guard let status = child.exitStatusIfEnded() else { continue }
            let last = (try? String(contentsOf: logs[index], encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            return "worker \(index) exited with status \(status): \(last)"
        }
        return nil
    }

    public var pids: [Int32] { children.map(\.pid) }

    /// Waits for the workers to exit (they do once the coordinator says the run is over); those
    /// still running after `grace` are killed.
    public func stop(grace: Duration = .seconds(5)) async {
        let deadline = ContinuousClock.now + grace
        while children.contains(where: { $0.exitStatusIfEnded() == nil }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for child in children where child.exitStatusIfEnded() == nil { child.signal(SIGKILL) }
        for child in children { _ = await child.wait() }
    }
}
