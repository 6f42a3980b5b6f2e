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

    /// A field that is there and not `null`, or nil; records "is required" for a missing required
    /// one, and refuses `null` unless the field may be null (then `.null` is returned).
    private mutating func value(_ field: String, required: Bool, nullable: Bool = false) -> JSONValue? {
        switch object[field] {
        case .none:
            if required { fail(field, "is required") }
            return nil
        case .some(.null):
            if nullable { return .null }
            fail(field, required ? "is required, and may not be null" : "may not be null; leave it out to keep it as it is")
            return nil
        case .some(let value):
            return value
        }
    }

    /// Keeps a check's value, or records its problem under `field`.
    private mutating func checked<Value>(_ field: String, _ result: Result<Value, FieldCheck.Problem>) -> Value? {
        switch result {
        case .success(let value): return value
        case .failure(let problem):
            fail(field, problem.message)
            return nil
        }
    }

    /// A string of `length` characters.
    mutating func string(_ field: String, required: Bool, length: ClosedRange<Int>) -> String? {
        guard let value = value(field, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(field, "must be a string, got \(value.typeName)")
            return nil
        }
        return checked(field, FieldCheck.string(text, length: length))
    }

    /// A string that may also be `null`: `.absent` when the field is not there.
    mutating func nullableString(_ field: String, length: ClosedRange<Int>) -> Presence<String> {
        guard let value = value(field, required: false, nullable: true) else { return object[field] == nil ? .absent : .invalid }
        switch value {
        case .null: return .null
        case .string(let text): return checked(field, FieldCheck.string(text, length: length)).map(Presence.value) ?? .invalid
        default:
            fail(field, "must be a string or null, got \(value.typeName)")
            return .invalid
        }
    }

    /// One of an enum's values.
    mutating func choice<Choice: CaseIterable & RawRepresentable>(_ field: String, required: Bool, as type: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        guard let value = value(field, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(field, "must be a string, \(Choice.acceptedValues); got \(value.typeName)")
            return nil
        }
        return checked(field, FieldCheck.choice(text, as: type))
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

    /// A whole number in `range`.
    mutating func integer(_ field: String, range: ClosedRange<Int>) -> Int? {
        guard let value = value(field, required: false) else { return nil }
        guard case .number(let number) = value else {
            fail(field, "must be a whole number, got \(value.typeName)")
            return nil
        }
        return checked(field, FieldCheck.integer(number, range: range))
    }

    /// A UUID in its canonical text form.
    mutating func uuid(_ field: String, required: Bool) -> UUID? {
        guard let value = value(field, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(field, "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000")
            return nil
        }
        return checked(field, FieldCheck.uuid(text))
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

/// A field that may be absent, `null`, or a value (and `invalid` when it was none of these).
enum Presence<Value: Sendable>: Sendable {
    case absent, null, invalid
    case value(Value)
}
