import Foundation

/// Durations as users write them on command lines and in scenario files: `250ms`, `10s`, `2m`,
/// `1h`, `1.5s`, or a bare number of seconds.
public enum DurationText {
    /// The duration `text` denotes, or nil when it is not one.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            guard let number = Double(trimmed.dropLast(suffix.count)) else { return nil }
            return duration(seconds: number * scale)
        }
        return Double(trimmed).flatMap(duration(seconds:))
    }

    /// A duration of `seconds`, or nil when it is negative, not a number, or beyond 100 years.
    public static func duration(seconds: Double) -> Duration? {
        guard seconds >= 0, seconds <= 3.2e9 else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// `d` the way `parse` reads it back: `250ms`, `10s`, `1.5s`.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return "\(seconds)s"
    }
}
