import Foundation

/// The part of JSON Schema (2020-12) the report's schema uses: `type`, `required`, `properties`,
/// `items`, `enum`, `minimum`, `maximum` and local `$ref`s into `$defs`. Every other keyword is
/// ignored, so a schema using more would be checked less, never wrongly rejected.
public struct JSONSchemaValidator {
    let root: [String: Any]

    public init(schemaFile: URL) throws {
        guard let root = try JSONSerialization.jsonObject(with: Data(contentsOf: schemaFile)) as? [String: Any] else {
            throw ValidationFailure(path: "$", message: "the schema is not an object")
        }
        self.root = root
    }

    public struct ValidationFailure: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// Every place where `document` breaks the schema (empty when it conforms).
    public func failures(of document: Data) throws -> [ValidationFailure] {
        let value = try JSONSerialization.jsonObject(with: document, options: [.fragmentsAllowed])
        var failures: [ValidationFailure] = []
        check(value, against: root, at: "$", into: &failures)
        return failures
    }

    private func resolve(_ schema: [String: Any]) -> [String: Any] {
        guard let reference = schema["$ref"] as? String, reference.hasPrefix("#/$defs/") else { return schema }
        let name = String(reference.dropFirst("#/$defs/".count))
        return ((root["$defs"] as? [String: Any])?[name] as? [String: Any]) ?? [:]
    }

    private func check(_ value: Any, against unresolved: [String: Any], at path: String, into failures: inout [ValidationFailure]) {
        let schema = resolve(unresolved)
        if let types = schema["type"].map({ $0 as? [String] ?? [$0 as? String ?? ""] }), !types.contains(where: { Self.matches(value, type: $0) }) {
            failures.append(ValidationFailure(path: path, message: "expected \(types.joined(separator: " or ")), found \(Self.typeName(of: value))"))
            return
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { Self.equal($0, value) }) {
            failures.append(ValidationFailure(path: path, message: "\(value) is not one of \(allowed)"))
        }
        if let number = Self.number(value) {
            if let minimum = schema["minimum"] as? Double, number < minimum { failures.append(ValidationFailure(path: path, message: "\(number) < \(minimum)")) }
            if let maximum = schema["maximum"] as? Double, number > maximum { failures.append(ValidationFailure(path: path, message: "\(number) > \(maximum)")) }
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                failures.append(ValidationFailure(path: path, message: "missing required key \"\(key)\""))
            }
            for (key, propertySchema) in schema["properties"] as? [String: Any] ?? [:] {
                if let child = object[key], let propertySchema = propertySchema as? [String: Any] {
                    check(child, against: propertySchema, at: "\(path).\(key)", into: &failures)
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, element) in array.enumerated() { check(element, against: items, at: "\(path)[\(index)]", into: &failures) }
        }
    }

    static func isBoolean(_ value: Any) -> Bool {
        if value is Bool && !(value is NSNumber) { return true }
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"  // how Foundation marks a JSON true or false
    }

    static func number(_ value: Any) -> Double? {
        guard !isBoolean(value), let number = value as? NSNumber else { return nil }
        return number.doubleValue
    }

    static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "boolean": return isBoolean(value)
        case "number": return number(value) != nil
        case "integer": return number(value).map { $0.rounded() == $0 } ?? false
        case "null": return value is NSNull
        default: return true
        }
    }

    static func typeName(of value: Any) -> String {
        for type in ["null", "boolean", "integer", "number", "string", "array", "object"] where matches(value, type: type) { return type }
        return "unknown"
    }

    static func equal(_ lhs: Any, _ rhs: Any) -> Bool {
        if let lhs = lhs as? String, let rhs = rhs as? String { return lhs == rhs }
        if let lhs = number(lhs), let rhs = number(rhs) { return lhs == rhs }
        return false
    }
}
