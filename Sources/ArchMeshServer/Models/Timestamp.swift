import ArchMeshDatabase
import Foundation

/// Timestamps as the API writes them: ISO 8601 in UTC with microseconds, as PostgreSQL stores them.
enum Timestamp {
    /// `2025-01-01T00:00:00.000000Z`, formatted by hand: it runs for every timestamp of every response.
    static func iso8601(_ date: Date) -> String {
        let totalMicroseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = totalMicroseconds / 1_000_000
        var micros = totalMicroseconds % 1_000_000
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (year, month, day) = CivilCalendar.date(daysSinceEpoch: days)
        var text = ""
        text.reserveCapacity(27)
        append(&text, year, 4); text += "-"; append(&text, month, 2); text += "-"; append(&text, day, 2)
        text += "T"; append(&text, secondOfDay / 3600, 2); text += ":"; append(&text, secondOfDay / 60 % 60, 2)
        text += ":"; append(&text, secondOfDay % 60, 2); text += "."; append(&text, micros, 6); text += "Z"
        return text
    }

    private static func append(_ text: inout String, _ value: Int64, _ width: Int) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }
}

extension Timestamp {
    /// SQL that formats a `timestamptz` column the way `iso8601` does, for rows the server writes
    /// out as they come: PostgreSQL formats once, in C, and the server copies the text.
    static func sql(_ column: String) -> String {
        #"to_char(\#(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":"MI":"SS.US"Z"')"#
    }
}
