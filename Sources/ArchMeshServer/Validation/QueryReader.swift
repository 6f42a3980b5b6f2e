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

    /// Keeps a check's value, or records its problem under `name`.
    private mutating func checked<Value>(_ name: String, _ result: Result<Value, FieldCheck.Problem>) -> Value? {
        switch result {
        case .success(let value): return value
        case .failure(let problem):
            fail(name, problem.message)
            return nil
        }
    }

    /// An integer in `range`, or `defaultValue` when absent.
    mutating func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) -> Int {
        guard let text = parameters[name] else { return defaultValue }
        return checked(name, FieldCheck.integer(text, range: range)) ?? defaultValue
    }

    mutating func choice<Choice: CaseIterable & RawRepresentable>(_ name: String, as type: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        parameters[name].flatMap { checked(name, FieldCheck.choice($0, as: type)) }
    }

    mutating func uuid(_ name: String) -> UUID? {
        parameters[name].flatMap { checked(name, FieldCheck.uuid($0)) }
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
        parameters[name].flatMap { checked(name, FieldCheck.string($0, length: length)) }
    }
}

extension Parameters {
    /// A UUID path parameter, or a 422 naming it.
    func uuid(_ name: String) throws -> UUID {
        switch FieldCheck.uuid(get(name) ?? "") {
        case .success(let uuid): return uuid
        case .failure(let problem): throw APIError.invalid(name, problem.message)
        }
    }
}
