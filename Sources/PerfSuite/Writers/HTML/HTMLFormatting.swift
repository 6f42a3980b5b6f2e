import Foundation

/// Numbers and dates as the HTML report shows them; a missing or non-finite figure is a dash, never
/// "nan" or "inf".
enum HTMLFormat {
    static let missing = "–"

    static func fixed(_ value: Double?, _ decimals: Int) -> String {
        guard let value, value.isFinite else { return missing }
        return LoadSummaryText.format(value, decimals)
    }

    /// Milliseconds: two decimals below 100 ms, one below 10 s, none above.
    static func milliseconds(_ value: Double?) -> String {
        guard let value, value.isFinite else { return missing }
        return fixed(value, abs(value) < 100 ? 2 : abs(value) < 10_000 ? 1 : 0)
    }

    /// A percentage with one decimal, without the sign (tables say "%" in the header).
    static func percent(_ value: Double?) -> String { fixed(value, 1) }

    /// A count with thousands separated: 1,234,567.
    static func count(_ value: Int?) -> String {
        guard let value else { return missing }
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// A moment in UTC, to the second: 2025-01-31 14:05:09 UTC.
    static func date(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return formatter.string(from: date) + " UTC"
    }

    /// A span: "42.5 s" under two minutes, "3 min 07 s" above.
    static func duration(seconds: Double) -> String {
        guard seconds.isFinite else { return missing }
        guard seconds >= 120 else { return fixed(seconds, 1) + " s" }
        let whole = Int(seconds.rounded())
        return "\(whole / 60) min " + String(format: "%02d s", whole % 60)
    }
}
