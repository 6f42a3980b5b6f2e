import Foundation
import LoadEngine

/// A value read from a scenario file, with where it was found, so every error can name its place.
struct YAMLNode {
    let value: Any?
    let path: String
    let file: String

    func fail(_ message: String) -> ConfigurationError {
        ConfigurationError(file: file, place: path.isEmpty ? "top level" : path, message: message)
    }

    subscript(key: String) -> YAMLNode {
        let dictionary = value as? [String: Any]
        return YAMLNode(value: dictionary?[key], path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    var isPresent: Bool { value != nil && !(value is NSNull) }

    func mapping(allowed: Set<String>? = nil) throws -> [String: YAMLNode] {
        guard let dictionary = value as? [String: Any] else { throw fail("expected a mapping (key: value), got \(describe)") }
        if let allowed {
            for key in dictionary.keys where !allowed.contains(key) {
                throw YAMLNode(value: nil, path: path.isEmpty ? key : "\(path).\(key)", file: file)
                    .fail("unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
            }
        }
        return Dictionary(uniqueKeysWithValues: dictionary.keys.map { ($0, self[$0]) })
    }

    func list() throws -> [YAMLNode] {
        guard let array = value as? [Any] else { throw fail("expected a list, got \(describe)") }
        return array.enumerated().map { YAMLNode(value: $1, path: "\(path)[\($0)]", file: file) }
    }

    func string() throws -> String {
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        throw fail("expected text, got \(describe)")
    }

    func int(in range: ClosedRange<Int>) throws -> Int {
        guard let number = value as? Int else { throw fail("expected a whole number, got \(describe)") }
        guard range.contains(number) else { throw fail("must be between \(range.lowerBound) and \(range.upperBound), got \(number)") }
        return number
    }

    func double(in range: ClosedRange<Double>) throws -> Double {
        let number: Double
        if let value = value as? Double { number = value } else if let value = value as? Int { number = Double(value) } else {
            throw fail("expected a number, got \(describe)")
        }
        guard range.contains(number) else { throw fail("must be between \(range.lowerBound) and \(range.upperBound), got \(number)") }
        return number
    }

    func duration() throws -> Duration {
        let text: String
        if let number = value as? Int { text = String(number) } else if let number = value as? Double { text = String(number) } else { text = try string() }
        guard let duration = DurationText.parse(text) else { throw fail("'\(text)' is not a duration such as 500ms, 10s or 2m") }
        return duration
    }

    func choice<Choice: CaseIterable & RawRepresentable>(_ type: Choice.Type) throws -> Choice where Choice.RawValue == String {
        let text = try string()
        guard let choice = Choice(rawValue: text) else {
            throw fail("'\(text)' is not one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }

    private var describe: String {
        switch value {
        case nil: return "nothing"
        case let text as String: return "'\(text)'"
        case is Int, is Double: return "the number \(value!)"
        case is [Any]: return "a list"
        case is [String: Any]: return "a mapping"
        default: return "\(value!)"
        }
    }
}
