/// How a request failed, counted separately as wrk does.
public enum ErrorKind: String, CaseIterable, Codable, Sendable {
    /// The connection could not be made (refused, unreachable, connect timeout).
    case connect
    /// The TLS handshake failed or timed out (an untrusted, expired or misnamed certificate, ...).
    case tls
    /// No complete response within the request timeout.
    case timeout
    /// The connection failed or closed while the response was awaited.
    case read
    /// The request could not be written.
    case write
    /// The response was not valid HTTP/1.1.
    case `protocol`
    /// The server answered 4xx.
    case http4xx = "http_4xx"
    /// The server answered 5xx.
    case http5xx = "http_5xx"
    /// A journey step was answered with a status it does not expect (a 5xx stays `http_5xx`).
    case unexpectedStatus = "unexpected_status"
    /// A journey step's answer did not have a value the step extracts.
    case extraction

    /// A failure, as error rates count them: no usable answer, or a 5xx. A 4xx, an unexpected
    /// status or a missing value is an error of the request, not a failure of the server.
    var isFailure: Bool {
        switch self {
        case .http4xx, .unexpectedStatus, .extraction: return false
        default: return true
        }
    }

    /// The kind a status code counts as, or nil for a success.
    static func forStatus(_ status: Int) -> ErrorKind? {
        switch status {
        case 400..<500: return .http4xx
        case 500..<600: return .http5xx
        default: return nil
        }
    }
}

/// Error counts by kind.
public struct ErrorCounts: Codable, Sendable, Equatable {
    public private(set) var counts: [ErrorKind: Int] = [:]

    public init() {}

    public subscript(kind: ErrorKind) -> Int {
        counts[kind] ?? 0
    }

    mutating func add(_ kind: ErrorKind, count: Int = 1) {
        counts[kind, default: 0] += count
    }

    mutating func merge(_ other: ErrorCounts) {
        for (kind, count) in other.counts { add(kind, count: count) }
    }

    /// Every kind, zero included, by its name: the JSON shape `archmesh load --json` prints.
    public var byName: [String: Int] {
        Dictionary(uniqueKeysWithValues: ErrorKind.allCases.map { ($0.rawValue, self[$0]) })
    }

    public var total: Int { counts.values.reduce(0, +) }

    /// Failures the transport saw (no usable response), as opposed to HTTP error statuses.
    public var transport: Int { self[.connect] + self[.tls] + self[.timeout] + self[.read] + self[.write] + self[.protocol] }

    public func encode(to encoder: any Encoder) throws {
        try byName.encode(to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let names = try [String: Int](from: decoder)
        for (name, count) in names {
            guard (0...largestRecordedCount).contains(count) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(count) \(name) errors is not a count of a run"))
            }
            if let kind = ErrorKind(rawValue: name) { counts[kind] = count }
        }
    }
}
