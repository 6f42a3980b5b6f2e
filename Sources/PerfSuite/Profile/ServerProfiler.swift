import Foundation
import Subprocesses

/// Records an on-CPU profile of the server process while a scenario runs: `perf record -g` at
/// `frequencyHz` on its PID, stopped with SIGINT when the scenario ends, then `perf script`
/// (which demangles C++ names, ICU's and BoringSSL's), folded, Swift names demangled, into a
/// `ServerProfile`. When `perf` is missing or may not profile the
/// process, `start` says why and the scenario runs unprofiled.
public struct ServerProfiler: Sendable {
    let perf: String
    let child: ChildProcess
    let data: URL
    let log: URL
    let frequencyHz: Int

    public static let defaultFrequencyHz = 199

    /// `perf`: the executable (found on the PATH when nil).
    public static func start(pid: Int32, directory: URL, frequencyHz: Int = defaultFrequencyHz, perf: String? = nil) async -> Result<ServerProfiler, ProfileUnavailable> {
        guard let perf = perf ?? locate() else {
            return .failure(ProfileUnavailable("perf was not found (apt-get install linux-perf)"))
        }
        guard FileManager.default.isExecutableFile(atPath: perf) else { return .failure(ProfileUnavailable("\(perf) is not an executable")) }
        let name = "profile-\(pid)-\(UInt32.random(in: 0...UInt32.max))"
        let data = directory.appendingPathComponent(name + ".data"), log = directory.appendingPathComponent(name + ".log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            return .failure(ProfileUnavailable("cannot write \(log.path)"))
        }
        let descriptor = open(log.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(ProfileUnavailable("cannot write \(log.path)")) }
        defer { close(descriptor) }
        let child: ChildProcess
        do {
            child = try ChildProcess.launch(perf, ["record", "-F", String(frequencyHz), "-g", "-p", String(pid), "-o", data.path], output: descriptor)
        } catch {
            return .failure(ProfileUnavailable("\(error)"))
        }
        // perf refuses at once when it may not profile (perf_event_paranoid, no such process).
        try? await Task.sleep(for: .milliseconds(300))
        if let status = child.exitStatusIfEnded() {
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: log)
            try? FileManager.default.removeItem(at: data)
            return .failure(ProfileUnavailable("perf record exited with \(status): \(said.split(separator: "\n").prefix(3).joined(separator: " "))"))
        }
        return .success(ServerProfiler(perf: perf, child: child, data: data, log: log, frequencyHz: frequencyHz))
    }

    /// Stops the recording and reads it; the recording's files are removed.
    public func finish() async -> Result<ServerProfile, ProfileUnavailable> {
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: log)
        }
        // perf writes its recording on SIGINT; one that does not end within 20 s is stopped.
        child.signal(SIGINT)
        let deadline = ContinuousClock.now + .seconds(20)
        while child.exitStatusIfEnded() == nil, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if child.exitStatusIfEnded() == nil {
            _ = await child.terminate(grace: .seconds(2))
            return .failure(ProfileUnavailable("perf record did not stop within 20 s of SIGINT"))
        }
        guard let script = try? await ChildProcess.run(perf, ["script", "-i", data.path, "-F", "ip,sym,dso"]), script.status == 0 else {
            return .failure(ProfileUnavailable("perf script could not read the recording"))
        }
        let folded = PerfScript.fold(Substring(script.text))
        guard !folded.isEmpty else { return .failure(ProfileUnavailable("perf took no samples of the server (was it idle?)")) }
        let names = Set(folded.keys.flatMap { $0.split(separator: ";").map(String.init) })
        let readable = await SwiftDemangler.demangle(names)
        var demangled: [String: Int] = [:]
        for (stack, count) in folded {
            let frames = stack.split(separator: ";").map { frame in (readable[String(frame)] ?? String(frame)).replacingOccurrences(of: ";", with: ",") }
            demangled[frames.joined(separator: ";"), default: 0] += count
        }
        return .success(ServerProfile(folded: demangled, frequencyHz: frequencyHz))
    }

    static func locate() -> String? { ChildProcess.onPath("perf") }
}

/// Why the server was not profiled.
public struct ProfileUnavailable: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
