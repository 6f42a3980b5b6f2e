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
    /// arrays as their JSON text; nil when the body is not JSON or has nothing (or null) there.
    func value(inJSON body: [UInt8]) -> [UInt8]? {
        guard case .json(let keys) = self else { return nil }
        return JSONScanner.value(at: keys, in: body)
    }
}

public struct ExtractionSyntaxError: Error, Sendable, Equatable {
    public var message: String
    init(_ message: String) { self.message = message }
}
