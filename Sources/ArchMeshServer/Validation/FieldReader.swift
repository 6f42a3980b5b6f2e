import Foundation

/// Reads the fields of a JSON request body one by one, collecting every problem rather than
/// stopping at the first, so that a 422 lists all the fields a client has to fix.
struct FieldReader {
    let object: [String: JSONValue]
    private(set) var errors: [FieldError] = []

    init(_ object: [String: JSONValue]) {
        self.object = object
    }

    /// Throws the collected problems as one 422.
    func finish() throws {
        if !errors.isEmpty { throw APIError.validation(errors) }
    }

    mutating func fail(_ field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// The field's value; `null` counts as absent. Records "is required" when a required one is missing.
    private mutating func value(_ field: String, required: Bool) -> JSONValue? {
        switch object[field] {
        case .none, .some(.null):
            if required { fail(field, "is required") }
            return nil
        case .some(let value):
            return value
        }
    }

    /// A string of `length` characters (Unicode scalars, as the original API counts them).
    mutating func string(_ field: String, required: Bool, length: ClosedRange<Int>) -> String? {
        guard let value = value(field, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(field, "must be a string, got \(value.typeName)")
            return nil
        }
        let count = text.unicodeScalars.count
        guard length.contains(count) else {
            fail(field, "must be \(length.lowerBound) to \(length.upperBound) characters long, got \(count)")
            return nil
        }
        return text
    }

    /// One of an enum's values.
    mutating func choice<Choice: CaseIterable & RawRepresentable>(_ field: String, required: Bool, as type: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        guard let value = value(field, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(field, "must be a string, \(Choice.acceptedValues); got \(value.typeName)")
            return nil
        }
        guard let choice = Choice(rawValue: text) else {
            fail(field, "must be \(Choice.acceptedValues); got '\(text.prefix(50))'")
            return nil
        }
        return choice
    }

    /// A number in `range`.
    mutating func number(_ field: String, range: ClosedRange<Double>) -> Double? {
        guard let value = value(field, required: false) else { return nil }
        guard case .number(let number) = value else {
            fail(field, "must be a number, got \(value.typeName)")
            return nil
        }
        guard range.contains(number) else {
            fail(field, "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
            return nil
        }
        return number
    }

    /// A UUID in its canonical text form.
    mutating func uuid(_ field: String, required: Bool) -> UUID? {
        guard let value = value(field, required: required) else { return nil }
        guard case .string(let text) = value, let uuid = UUID(uuidString: text) else {
            fail(field, "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000")
            return nil
        }
        return uuid
    }

    /// A JSON object (free-form).
    mutating func object(_ field: String) -> [String: JSONValue]? {
        guard let value = value(field, required: false) else { return nil }
        guard case .object(let object) = value else {
            fail(field, "must be a JSON object, got \(value.typeName)")
            return nil
        }
        return object
    }
}
