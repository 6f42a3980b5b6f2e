import Foundation

/// Where a journey step takes a value from its answer: a JSON body by a small JSONPath
/// (`$.items[0].id`, `$['session_id']`) or a JSON Pointer (`/items/0/id`, RFC 6901), or a header.
public enum Extraction: Sendable, Equatable, CustomStringConvertible {
    case json([Key])
    case header(String)

    /// One step into a JSON value: a member of an object or an element of an array.
    public enum Key: Sendable, Equatable {
        case member(String)
        case element(Int)
    }

    /// Reads `$.a.b[0]`, `/a/b/0` or `header:Name`; nil with the reason for anything else.
    public static func parse(_ text: String) -> Result<Extraction, ExtractionSyntaxError> {
        if text.lowercased().hasPrefix("header:") {
            let name = String(text.dropFirst("header:".count)).trimmingSpaces
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
                return .failure(.init("'\(text)' names no header; write header:Location"))
            }
            return .success(.header(name.lowercased()))
        }
        if text.hasPrefix("/") { return pointer(text) }
        if text.hasPrefix("$") { return path(text) }
        return .failure(.init("'\(text)' is not a JSONPath ($.id), a JSON Pointer (/id) or header:NAME"))
    }

    /// `/a/b/0`: members and, where they are digits, elements as well (decided against the value).
    private static func pointer(_ text: String) -> Result<Extraction, ExtractionSyntaxError> {
        let tokens = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
        guard !tokens.isEmpty, !(tokens.count == 1 && tokens[0].isEmpty) else {
            return .failure(.init("'\(text)' points at the whole body; name a member, such as /id"))
        }
        return .success(.json(tokens.map { .member($0) }))
    }

    /// `$`, then `.name`, `['name']` or `[index]`, as often as needed.
    private static func path(_ text: String) -> Result<Extraction, ExtractionSyntaxError> {
        var keys: [Key] = []
        var rest = Substring(text.dropFirst())
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty, name != "*" else { return .failure(.init("'\(text)' has a '.' that names no member; write $.name")) }
                keys.append(.member(String(name)))
                rest = rest.dropFirst(name.count)
            } else if rest.hasPrefix("['") {
                guard let end = rest.range(of: "']") else { return .failure(.init("'\(text)' opens [' without closing it with ']")) }
                keys.append(.member(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound])))
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("[") {
                guard let end = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<end]), index >= 0 else {
                    return .failure(.init("'\(text)' has a [ that is not [index] with a whole number from 0, nor ['name']"))
                }
                keys.append(.element(index))
                rest = rest[rest.index(after: end)...]
            } else {
                return .failure(.init("'\(text)' is not JSONPath after '$': use .name, ['name'] or [index]"))
            }
        }
        guard !keys.isEmpty else { return .failure(.init("'\(text)' is the whole body; name a member, such as $.id")) }
        return .success(.json(keys))
    }

    public var description: String {
        switch self {
        case .header(let name): return "header:\(name)"
        case .json(let keys):
            return "$" + keys.map { key -> String in
                switch key {
                case .member(let name): return "." + name
                case .element(let index): return "[\(index)]"
                }
            }.joined()
        }
    }

    /// The value in a JSON body: strings as they are, numbers and booleans as written, objects and
    /// arrays as JSON; nil when the body is not JSON or has nothing (or null) there.
    func value(inJSON body: [UInt8]) -> [UInt8]? {
        guard case .json(let keys) = self, var node = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else { return nil }
        for key in keys {
            switch (key, node) {
            case (.member(let name), .object(let members)):
                guard let next = members[name] else { return nil }
                node = next
            case (.element(let index), .array(let elements)):
                guard index < elements.count else { return nil }
                node = elements[index]
            case (.member(let name), .array(let elements)):
                // A JSON Pointer's token is an index when it names an array's element.
                guard let index = Int(name), index >= 0, index < elements.count else { return nil }
                node = elements[index]
            default:
                return nil
            }
        }
        switch node {
        case .null: return nil
        case .string(let text): return Array(text.utf8)
        default: return (try? JSONEncoder.sorted.encode(node)).map(Array.init)
        }
    }
}

/// Any JSON value, read exactly: integers stay integers, booleans are not numbers.
enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

public struct ExtractionSyntaxError: Error, Sendable, Equatable {
    public var message: String
    init(_ message: String) { self.message = message }
}
