import Foundation
import Hummingbird

/// Reads and checks query parameters, collecting every problem into one 422.
struct QueryReader {
    let parameters: [String: String]
    private(set) var errors: [FieldError] = []

    init(_ request: Request) {
        var parameters: [String: String] = [:]
        var errors: [FieldError] = []
        for (key, value) in request.uri.queryParameters {
            // PostgreSQL stores no NUL in text: such a parameter is refused here, named.
            if key.utf8.contains(0) || value.utf8.contains(0) {
                errors.append(FieldError(field: String(key), message: "must not contain the NUL character (U+0000)"))
                continue
            }
            parameters[String(key)] = String(value)
        }
        self.parameters = parameters
        self.errors = errors
    }

    func finish() throws {
        if !errors.isEmpty { throw APIError.validation(errors) }
    }

    private mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// An integer in `range`, or `defaultValue` when absent.
    mutating func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) -> Int {
        guard let text = parameters[name] else { return defaultValue }
        guard let value = Int(text) else {
            fail(name, "must be an integer, got '\(text.prefix(50))'")
            return defaultValue
        }
        guard range.contains(value) else {
            fail(name, range.upperBound == Int.max ? "must be at least \(range.lowerBound), got \(value)"
                : "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            return defaultValue
        }
        return value
    }

    mutating func choice<Choice: CaseIterable & RawRepresentable>(_ name: String, as type: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        guard let text = parameters[name] else { return nil }
        guard let choice = Choice(rawValue: text) else {
            fail(name, "must be \(Choice.acceptedValues); got '\(text.prefix(50))'")
            return nil
        }
        return choice
    }

    mutating func uuid(_ name: String) -> UUID? {
        guard let text = parameters[name] else { return nil }
        guard let uuid = UUID(uuidString: text) else {
            fail(name, "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000")
            return nil
        }
        return uuid
    }

    mutating func boolean(_ name: String) -> Bool? {
        guard let text = parameters[name] else { return nil }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default:
            fail(name, "must be true or false, got '\(text.prefix(50))'")
            return nil
        }
    }

    mutating func string(_ name: String, length: ClosedRange<Int>) -> String? {
        guard let text = parameters[name] else { return nil }
        let count = text.unicodeScalars.count
        guard length.contains(count) else {
            fail(name, "must be \(length.lowerBound) to \(length.upperBound) characters long, got \(count)")
            return nil
        }
        return text
    }
}

extension Parameters {
    /// A UUID path parameter, or a 422 naming it.
    func uuid(_ name: String) throws -> UUID {
        guard let text = get(name), let uuid = UUID(uuidString: text) else {
            throw APIError.invalid(name, "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000")
        }
        return uuid
    }
}
