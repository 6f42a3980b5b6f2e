import Foundation

/// How reports are written and read: keys in snake case by convention (`requestsPerSecond` is
/// `requests_per_second`), dates in ISO 8601, keys sorted for stable diffs.
///
/// A type names its coding keys only to rename, and then writes the JSON name in camel case
/// (`case latency = "latencyMs"` is `latency_ms`), since the conversion applies to every key.
/// Reading converts back: a word in `acronyms` is upper-cased (`max_cpu_percent` is
/// `maxCPUPercent`, `request_id` is `requestID`), and a part that starts with a digit keeps its
/// underscore (`slope_low_95` is `slopeLow_95`, and a dictionary key such as `http_4xx` stays).
public enum ReportCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.keyDecodingStrategy = .custom { path in CamelKey(stringValue: camelCase(path.last!.stringValue)) }
        return decoder
    }

    /// Words written in capitals in property names.
    static let acronyms: Set<Substring> = ["cpu", "mb", "kb", "id", "rps", "url", "http", "tls", "sql"]

    /// A JSON key as the property it came from: `max_cpu_percent` as `maxCPUPercent`.
    static func camelCase(_ key: String) -> String {
        guard key.contains("_"), key.first?.isLowercase == true, key.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) else { return key }
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        var result = String(parts[0])
        for part in parts.dropFirst() {
            if part.first?.isNumber ?? true {
                result += "_" + part
            } else if acronyms.contains(part) {
                result += part.uppercased()
            } else {
                result += part.prefix(1).uppercased() + part.dropFirst()
            }
        }
        return result
    }

    /// A property name as its JSON key, the way the encoder writes it: `maxCPUPercent` as
    /// `max_cpu_percent` (for files that are not JSON but share the names, such as scenario files).
    public static func snakeCase(_ name: String) -> String {
        var result = ""
        let characters = Array(name)
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if !previous.isUppercase || nextIsLower { result += "_" }
            }
            result += character.lowercased()
        }
        return result
    }

    private struct CamelKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
