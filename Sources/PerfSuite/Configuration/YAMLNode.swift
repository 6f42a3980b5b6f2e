import Foundation
import LoadEngine
import Yams

/// A value read from a scenario file with where it was found (its path of keys and its line and
/// column, from Yams' composed nodes), so that every error names its place.
struct YAMLNode {
    let node: Node?
    let path: String
    let file: String
    /// Where the value is; for a missing key, where the mapping that lacks it is.
    let mark: Mark?

    /// The whole document.
    init(document: Node?, file: String) {
        self.init(node: document, path: "", file: file, mark: document?.mark)
    }

    private init(node: Node?, path: String, file: String, mark: Mark?) {
        self.node = node
        self.path = path
        self.file = file
        self.mark = mark
    }

    func fail(_ message: String) -> ConfigurationError {
        var place = path.isEmpty ? "top level" : path
        if let mark { place += " (line \(mark.line), column \(mark.column))" }
        return ConfigurationError(file: file, place: place, message: message)
    }

    private func child(_ node: Node?, path: String) -> YAMLNode {
        YAMLNode(node: node, path: path, file: file, mark: node?.mark ?? mark)
    }

    subscript(key: String) -> YAMLNode {
        var found: Node?
        if case .mapping(let mapping)? = node {
            found = mapping.first { $0.key.string == key }?.value
        }
        return child(found, path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// The value's resolved YAML type (`str`, `int`, `float`, `null`, ...).
    private var tagName: Tag.Name? { node.map { Tag.Name(rawValue: $0.tag.description) } }

    var isPresent: Bool { node != nil && tagName != .null }

    /// True for a plain value (not a mapping or a list).
    var isScalar: Bool {
        if case .scalar? = node { return true }
        return false
    }

    func mapping(allowed: Set<String>? = nil) throws -> [String: YAMLNode] {
        guard case .mapping(let mapping)? = node else { throw fail("expected a mapping (key: value), got \(describe)") }
        var entries: [String: YAMLNode] = [:]
        for (keyNode, value) in mapping {
            let keyPath = path.isEmpty ? (keyNode.string ?? "?") : "\(path).\(keyNode.string ?? "?")"
            guard let key = keyNode.string, case .scalar = keyNode else {
                throw YAMLNode(node: keyNode, path: keyPath, file: file, mark: keyNode.mark).fail("keys must be plain text")
            }
            if let allowed, !allowed.contains(key) {
                throw YAMLNode(node: keyNode, path: keyPath, file: file, mark: keyNode.mark)
                    .fail("unknown key; expected one of \(allowed.sorted().joined(separator: ", "))")
            }
            guard entries[key] == nil else {
                throw YAMLNode(node: keyNode, path: keyPath, file: file, mark: keyNode.mark).fail("given twice")
            }
            entries[key] = child(value, path: keyPath)
        }
        return entries
    }

    func list() throws -> [YAMLNode] {
        guard case .sequence(let sequence)? = node else { throw fail("expected a list, got \(describe)") }
        return sequence.enumerated().map { child($1, path: "\(path)[\($0)]") }
    }

    func string() throws -> String {
        guard case .scalar(let scalar)? = node, tagName == .str || tagName == .int else { throw fail("expected text, got \(describe)") }
        return scalar.string
    }

    func int(in range: ClosedRange<Int>) throws -> Int {
        guard tagName == .int, let number = node?.int else { throw fail("expected a whole number, got \(describe)") }
        guard range.contains(number) else { throw fail("must be between \(range.lowerBound) and \(range.upperBound), got \(number)") }
        return number
    }

    func double(in range: ClosedRange<Double>) throws -> Double {
        guard tagName == .int || tagName == .float, let number = node?.float, number.isFinite else {
            throw fail("expected a number, got \(describe)")
        }
        guard range.contains(number) else { throw fail("must be between \(range.lowerBound) and \(range.upperBound), got \(number)") }
        return number
    }

    func bool() throws -> Bool {
        guard tagName == .bool, let value = node?.bool else { throw fail("expected true or false, got \(describe)") }
        return value
    }

    func duration() throws -> Duration {
        guard case .scalar(let scalar)? = node else { throw fail("expected a duration such as 500ms, 10s or 2m, got \(describe)") }
        guard let duration = DurationText.parse(scalar.string) else { throw fail("'\(scalar.string)' is not a duration such as 500ms, 10s or 2m") }
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
        switch node {
        case nil: return "nothing"
        case .mapping?: return "a mapping"
        case .sequence?: return "a list"
        case .alias?: return "an alias"
        case .scalar(let scalar)?:
            switch tagName {
            case .null: return "nothing"
            case .int, .float: return "the number \(scalar.string)"
            case .bool: return "the boolean \(scalar.string)"
            default: return "'\(scalar.string)'"
            }
        }
    }
}
