import Foundation

/// The checks a request's values pass, whether they come from a JSON body or a query string: one
/// function per kind of value, each answering the value or the message that says what is wrong.
enum FieldCheck {
    /// A string of `length` characters (Unicode scalars, as the original API counts them).
    static func string(_ text: String, length: ClosedRange<Int>) -> Result<String, Problem> {
        let count = text.unicodeScalars.count
        guard length.contains(count) else {
            return .failure(Problem("must be \(length.lowerBound) to \(length.upperBound) characters long, got \(count)"))
        }
        return .success(text)
    }

    /// One of an enum's values.
    static func choice<Choice: CaseIterable & RawRepresentable>(_ text: String, as type: Choice.Type) -> Result<Choice, Problem>
    where Choice.RawValue == String {
        guard let choice = Choice(rawValue: text) else { return .failure(Problem("must be \(Choice.acceptedValues); got '\(text.prefix(50))'")) }
        return .success(choice)
    }

    /// A UUID in its canonical text form.
    static func uuid(_ text: String) -> Result<UUID, Problem> {
        guard let uuid = UUID(uuidString: text) else { return .failure(Problem("must be a UUID such as 123e4567-e89b-12d3-a456-426614174000")) }
        return .success(uuid)
    }

    /// A whole number in `range`.
    static func integer(_ value: Double, range: ClosedRange<Int>) -> Result<Int, Problem> {
        guard value.rounded() == value else { return .failure(Problem("must be a whole number, got \(value)")) }
        guard value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            return .failure(Problem(rangeMessage(range, got: abs(value) < 1e18 ? "\(Int(value))" : "\(value)")))
        }
        return .success(Int(value))
    }

    /// An integer written in a query string, in `range`.
    static func integer(_ text: String, range: ClosedRange<Int>) -> Result<Int, Problem> {
        guard let value = Int(text) else { return .failure(Problem("must be an integer, got '\(text.prefix(50))'")) }
        guard range.contains(value) else { return .failure(Problem(rangeMessage(range, got: "\(value)"))) }
        return .success(value)
    }

    private static func rangeMessage(_ range: ClosedRange<Int>, got: String) -> String {
        range.upperBound == Int.max ? "must be at least \(range.lowerBound), got \(got)"
            : "must be between \(range.lowerBound) and \(range.upperBound), got \(got)"
    }

    /// What is wrong with a value, in words for the client.
    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}
