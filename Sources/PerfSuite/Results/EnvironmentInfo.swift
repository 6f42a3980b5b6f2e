import Foundation
import Observability
import Subprocesses

/// Where a report was measured: machine, versions and target, to tell two reports apart.
public struct EnvironmentInfo: Codable, Sendable {
    public var machine: String
    public var operatingSystem: String
    public var cores: Int
    public var memoryMB: Int
    public var archmeshVersion: String
    public var swiftVersion: String
    public var commit: String?
    public var postgresVersion: String?
    public var target: String
    public var configuration: String
    /// SHA-256 of the scenario file (absent in reports written before it was kept).
    public var configurationDigest: String?
    /// Requests and durations were multiplied by this (1: the scenarios as written).
    public var scale: Double
    public var serverLog: String?
    /// Runs of each scenario (`--repeat`).
    public var repetitions: Int
    /// True when every repetition after the first ran against a freshly started server, so the
    /// run-to-run noise they show includes a new server process's.
    public var freshServerPerRepetition: Bool

    enum CodingKeys: String, CodingKey {
        case machine, operatingSystem = "os", cores, memoryMB, archmeshVersion, swiftVersion, commit, postgresVersion, target
        case configuration, configurationDigest, scale, serverLog, repetitions, freshServerPerRepetition
    }

    public static func current(
        target: String, configuration: String, configurationDigest: String? = nil, scale: Double, postgresVersion: String?, serverLog: String?,
        repetitions: Int = 1
    ) -> EnvironmentInfo {
        var name = utsname()
        uname(&name)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let memoryKB = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        return EnvironmentInfo(
            machine: text(name.nodename), operatingSystem: "\(text(name.sysname)) \(text(name.release)) \(text(name.machine))",
            cores: ProcessStatistics.cpuCount, memoryMB: memoryKB / 1024, archmeshVersion: ArchMeshVersion.current, swiftVersion: swiftVersion,
            commit: gitCommit(), postgresVersion: postgresVersion, target: target, configuration: configuration,
            configurationDigest: configurationDigest, scale: scale,
            serverLog: serverLog, repetitions: repetitions, freshServerPerRepetition: repetitions > 1)
    }

    static var swiftVersion: String {
        #if compiler(>=6.3)
        return "6.3 or newer"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    /// The commit of the git checkout we run in, if we do.
    public static func gitCommit() -> String? {
        for git in ["/usr/bin/git", "/usr/local/bin/git"] where FileManager.default.isExecutableFile(atPath: git) {
            guard let output = try? ChildProcess.runBlocking(git, ["rev-parse", "--short=12", "HEAD"]), output.status == 0 else { return nil }
            let commit = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
            return commit.isEmpty ? nil : commit
        }
        return nil
    }
}
