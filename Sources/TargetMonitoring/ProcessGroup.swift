import Foundation
import Observability

/// Processes whose CPU and memory are summed as one: the server (one process) or PostgreSQL (the
/// postmaster and every backend it forks while the run goes).
public struct ProcessGroup: Sendable {
    /// The group's current members.
    let members: @Sendable () -> [Int32]

    /// One process.
    public static func single(_ pid: Int32) -> ProcessGroup {
        ProcessGroup { [pid] }
    }

    /// A parent and its children, found again at every reading (backends come and go).
    public static func withChildren(of parent: Int32) -> ProcessGroup {
        ProcessGroup { [parent] + children(of: parent) }
    }

    /// PIDs whose parent is `parent`, from /proc.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { ProcessStatistics.parentPID(of: $0) == parent }
    }
}

/// Cumulative CPU seconds and resident memory of a process group, counting each member's CPU from
/// when it was first seen (a backend's start-up before the first reading is not charged to the run).
struct ProcessGroupReader {
    let group: ProcessGroup
    private var baselines: [Int32: Double] = [:]
    private var finished: Double = 0
    private var lastSeen: [Int32: Double] = [:]

    init(group: ProcessGroup) {
        self.group = group
    }

    mutating func read() -> (cpuSeconds: Double, residentBytes: Int)? {
        var cpu = finished
        var memory = 0
        var seen: [Int32: Double] = [:]
        var anyAlive = false
        for pid in group.members() {
            guard let statistics = ProcessStatistics.of(pid: pid) else { continue }
            anyAlive = true
            if baselines[pid] == nil { baselines[pid] = statistics.cpuSeconds }
            cpu += statistics.cpuSeconds - baselines[pid]!
            seen[pid] = statistics.cpuSeconds - baselines[pid]!
            memory += statistics.residentBytes
        }
        // Members that ended keep the CPU they used while we watched.
        for (pid, used) in lastSeen where seen[pid] == nil {
            finished += used
            cpu += used
            baselines[pid] = nil
        }
        lastSeen = seen
        return anyAlive ? (cpu, memory) : nil
    }
}
