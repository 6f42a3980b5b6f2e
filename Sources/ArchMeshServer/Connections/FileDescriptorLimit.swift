#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// The process's open-file limit, raised as far as it may go so that the connection limit, not
/// the kernel, decides when connections are refused.
public enum FileDescriptorLimit {
    /// Descriptors kept for everything but client connections: the pool, logs, PostgreSQL's files.
    static let reserved = 128

    /// Raises the soft limit towards the hard one and returns the connections that fit under it:
    /// `wanted`, or fewer when the limit is lower (said in the log).
    public static func raise(toFit wanted: Int, logger: Logger) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return wanted }
        let needed = rlim_t(wanted + reserved)
        if limit.rlim_cur < needed {
            limit.rlim_cur = min(needed, limit.rlim_max)
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let fits = max(1, Int(limit.rlim_cur) - reserved)
        if fits < wanted {
            logger.warning("the open-file limit allows fewer connections than asked", metadata: ["asked": "\(wanted)", "allowed": "\(fits)"])
        }
        return min(wanted, fits)
    }
}
