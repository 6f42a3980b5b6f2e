/// The server's own account of one request, carried in the W3C `Server-Timing` header.
///
/// The server writes it on every response (`app;dur=1.84, db;dur=0.92, pool;dur=0.05, dbq;desc=2`)
/// and the load engine parses it on every response, so both halves share this one definition.
public struct ServerTiming: Sendable, Equatable {
    /// Time spent in the whole handler, in milliseconds.
    public var appMilliseconds: Double
    /// Sum of the request's query times, in milliseconds.
    public var databaseMilliseconds: Double
    /// Time spent waiting for a pooled connection, in milliseconds.
    public var poolMilliseconds: Double
    /// Number of queries the request ran.
    public var queryCount: Int

    public init(appMilliseconds: Double, databaseMilliseconds: Double, poolMilliseconds: Double, queryCount: Int) {
        self.appMilliseconds = appMilliseconds
        self.databaseMilliseconds = databaseMilliseconds
        self.poolMilliseconds = poolMilliseconds
        self.queryCount = queryCount
    }

    /// The header's name.
    public static let headerName = "Server-Timing"

    /// The header value, durations with two decimals as browsers' devtools show them.
    public var headerValue: String {
        "app;dur=\(Self.format(appMilliseconds)), db;dur=\(Self.format(databaseMilliseconds)), "
            + "pool;dur=\(Self.format(poolMilliseconds)), dbq;desc=\(queryCount)"
    }

    /// Parses a `Server-Timing` value; metrics it does not know are ignored, missing ones are zero.
    ///
    /// Returns nil when the value carries none of `app`, `db`, `pool`, `dbq`: such a response is
    /// measured client-side only.
    public init?(headerValue: some StringProtocol) {
        let headerValue = String(headerValue)[...]
        var timing = ServerTiming(appMilliseconds: 0, databaseMilliseconds: 0, poolMilliseconds: 0, queryCount: 0)
        var found = false
        for metric in headerValue.split(separator: ",") {
            var parts = metric.split(separator: ";").makeIterator()
            guard let name = parts.next()?.trimmingSpaces else { continue }
            var duration: Double?
            var description: Substring?
            while let parameter = parts.next() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let value = pair[1].trimmingSpaces.trimmingQuotes
                switch pair[0].trimmingSpaces {
                case "dur": duration = Double(value)
                case "desc": description = value
                default: break
                }
            }
            switch name {
            case "app": timing.appMilliseconds = duration ?? 0; found = true
            case "db": timing.databaseMilliseconds = duration ?? 0; found = true
            case "pool": timing.poolMilliseconds = duration ?? 0; found = true
            case "dbq": timing.queryCount = description.flatMap { Int($0) } ?? Int(duration ?? 0); found = true
            default: continue
            }
        }
        guard found else { return nil }
        self = timing
    }

    /// Milliseconds with two decimals, without Foundation's formatter (this runs on every response).
    public static func format(_ milliseconds: Double) -> String {
        let hundredths = Int((max(0, milliseconds) * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result.removeFirst() }
        while result.last == " " || result.last == "\t" { result.removeLast() }
        return result
    }

    var trimmingQuotes: Substring {
        guard count >= 2, first == "\"", last == "\"" else { return self }
        return dropFirst().dropLast()
    }
}
