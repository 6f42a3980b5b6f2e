/// A rate of requests as people write it: `100/s`, `6000/min`, `2.5/s`, `3600/h`. One reading for
/// the server's `--rate-limit` and the scenario file's `rate_limit: {limit: ...}`.
public enum RequestRate {
    /// Requests a second; nil for anything else (or a rate that is not positive and finite).
    public static func perSecond(_ text: String) -> Double? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Double(parts[0]), count.isFinite, count > 0 else { return nil }
        switch parts[1] {
        case "s", "sec", "second": return count
        case "m", "min", "minute": return count / 60
        case "h", "hour": return count / 3600
        default: return nil
        }
    }
}
