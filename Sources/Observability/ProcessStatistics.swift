#if canImport(Glibc)
import Glibc
#endif

/// A process's CPU time, resident memory and start time, read from /proc (Linux).
///
/// The server reports its own for `/metrics`; the harness samples the server's and PostgreSQL's by PID.
public struct ProcessStatistics: Sendable, Equatable {
    /// User plus system CPU seconds since the process started.
    public var cpuSeconds: Double
    /// Resident set size in bytes.
    public var residentBytes: Int
    /// When the process started, in seconds since the Unix epoch.
    public var startTimeSeconds: Double

    /// This process's figures, or nil where /proc is not available.
    public static func current() -> ProcessStatistics? {
        read(procDirectory: "/proc/self")
    }

    /// The figures of process `pid`, or nil when it does not exist (or is a zombie).
    public static func of(pid: Int32) -> ProcessStatistics? {
        read(procDirectory: "/proc/\(pid)")
    }

    static func read(procDirectory: String) -> ProcessStatistics? {
        guard let stat = readFile("\(procDirectory)/stat"), let statm = readFile("\(procDirectory)/statm"),
            let closing = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state is field 3; utime 14, stime 15, starttime 22 (1-based).
        let fields = stat[stat.index(after: closing)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z", let user = Double(fields[11]), let system = Double(fields[12]),
            let startTicks = Double(fields[19])
        else { return nil }
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return ProcessStatistics(
            cpuSeconds: (user + system) / clockTicksPerSecond,
            residentBytes: pages * pageSize,
            startTimeSeconds: bootTime + startTicks / clockTicksPerSecond)
    }

    /// The parent of process `pid`, or nil when it does not exist.
    public static func parentPID(of pid: Int32) -> Int32? {
        guard let stat = readFile("/proc/\(pid)/stat"), let closing = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: closing)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// Kernel clock ticks per second, the unit of /proc's CPU times.
    public static let clockTicksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    /// Logical CPUs online, to express CPU use as a share of the whole machine.
    public static let cpuCount = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    static let bootTime: Double = {
        guard let text = readFile("/proc/stat") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6)) ?? 0
        }
        return 0
    }()

    /// A whole small /proc file, without Foundation (this runs at every scrape and sample).
    static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(descriptor, &chunk, chunk.count)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
