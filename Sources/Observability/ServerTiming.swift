/// The server's own account of one request, carried in the W3C `Server-Timing` header.
///
/// The server writes it on every response (`app;dur=1.84, db;dur=0.92, pool;dur=0.05, dbq;desc=2`)
/// and the load engine parses it on every response, so both halves share this one definition.
public struct ServerTiming: Codable, Sendable, Equatable {
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

    /// What a `Server-Timing` value held, as far as this contract goes.
    public enum ParseResult: Sendable, Equatable {
        /// None of `app`, `db`, `pool`, `dbq`: the response is measured client-side only.
        case absent
        case valid(ServerTiming)
        /// One of them carried a figure that cannot be true (negative, not a number, beyond
        /// `maximumMilliseconds` or `maximumQueryCount`): none of the header is believed.
        case rejected
    }

    /// Longest duration believed: one hour.
    public static let maximumMilliseconds = 3_600_000.0
    /// Most queries per request believed.
    public static let maximumQueryCount = 1_000_000

    /// Parses a `Server-Timing` value; metrics it does not know are ignored, missing ones are zero.
    ///
    /// Returns nil when the value carries none of `app`, `db`, `pool`, `dbq`, or figures that
    /// cannot be true (see `ParseResult.rejected`).
    public init?(headerValue: some StringProtocol) {
        var text = String(headerValue)
        guard case .valid(let timing) = text.withUTF8({ Self.parse(utf8: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = timing
    }

    /// The same, straight from the header's bytes: the load engine parses one per response, and
    /// going through String (or unspecialised generics) would cost it more than the rest of the
    /// response handling. Not generic on purpose. Every number is checked before it is kept.
    public static func parse(utf8 bytes: UnsafeRawBufferPointer) -> ParseResult {
        var timing = ServerTiming(appMilliseconds: 0, databaseMilliseconds: 0, poolMilliseconds: 0, queryCount: 0)
        var found = false
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
            let metric = Self.parseMetric(bytes, start, end)
            start = end + 1
            guard metric.name != .other else { continue }
            found = true
            if metric.invalid { return .rejected }
            switch metric.name {
            case .dbq:
                guard let count = metric.description ?? metric.duration else { continue }
                guard count >= 0, count <= Double(maximumQueryCount), count == count.rounded() else { return .rejected }
                timing.queryCount = Int(count)
            default:
                guard let duration = metric.duration else { continue }
                guard duration >= 0, duration <= maximumMilliseconds else { return .rejected }
                switch metric.name {
                case .app: timing.appMilliseconds = duration
                case .db: timing.databaseMilliseconds = duration
                default: timing.poolMilliseconds = duration
                }
            }
        }
        return found ? .valid(timing) : .absent
    }

    private enum MetricName {
        case app, db, pool, dbq, other
    }

    /// One metric, `name *( ";" key "=" value )`, in bytes[start..<end]; `invalid` when a `dur` or
    /// `desc` of a known metric is there but is not a plain decimal number.
    private static func parseMetric(
        _ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int
    ) -> (name: MetricName, duration: Double?, description: Double?, invalid: Bool) {
        var partEnd = start
        while partEnd < end, bytes[partEnd] != UInt8(ascii: ";") { partEnd += 1 }
        let (nameStart, nameEnd) = trimmed(bytes, start, partEnd)
        let metric: MetricName
        if equals(bytes, nameStart, nameEnd, "app") { metric = .app }
        else if equals(bytes, nameStart, nameEnd, "db") { metric = .db }
        else if equals(bytes, nameStart, nameEnd, "pool") { metric = .pool }
        else if equals(bytes, nameStart, nameEnd, "dbq") { metric = .dbq }
        else { return (.other, nil, nil, false) }
        var duration: Double?
        var description: Double?
        var invalid = false
        var parameterStart = partEnd + 1
        while parameterStart < end {
            var parameterEnd = parameterStart
            while parameterEnd < end, bytes[parameterEnd] != UInt8(ascii: ";") { parameterEnd += 1 }
            var equalsSign = parameterStart
            while equalsSign < parameterEnd, bytes[equalsSign] != UInt8(ascii: "=") { equalsSign += 1 }
            if equalsSign < parameterEnd {
                let (keyStart, keyEnd) = trimmed(bytes, parameterStart, equalsSign)
                var (valueStart, valueEnd) = trimmed(bytes, equalsSign + 1, parameterEnd)
                if valueEnd - valueStart >= 2, bytes[valueStart] == UInt8(ascii: "\""), bytes[valueEnd - 1] == UInt8(ascii: "\"") {
                    valueStart += 1
                    valueEnd -= 1
                }
                if equals(bytes, keyStart, keyEnd, "dur") {
                    duration = number(bytes, valueStart, valueEnd)
                    if duration == nil { invalid = true }
                } else if equals(bytes, keyStart, keyEnd, "desc") {
                    description = number(bytes, valueStart, valueEnd)
                    // `desc` is free text in general; only `dbq` promises a number in it.
                    if description == nil && metric == .dbq { invalid = true }
                }
            }
            parameterStart = parameterEnd + 1
        }
        return (metric, duration, description, invalid)
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> (Int, Int) {
        var start = start, end = end
        while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
        return (start, end)
    }

    private static func equals(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ word: StaticString) -> Bool {
        guard end - start == word.utf8CodeUnitCount else { return false }
        return word.withUTF8Buffer { expected in
            for offset in 0..<expected.count where bytes[start + offset] != expected[offset] { return false }
            return true
        }
    }

    /// A plain decimal number (`12`, `1.84`, `-0.5`), or nil; nil too when it does not fit a Double.
    ///
    /// Up to 19 digits are gathered as an integer and divided once by a power of ten (exact, and
    /// cheaper than a division per digit); longer numbers, which no server writes, go digit by digit.
    private static func number(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double? {
        var position = start
        let negative = position < end && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var inFraction = false
        while position < end {
            let byte = bytes[position]
            if byte == UInt8(ascii: ".") {
                if inFraction { return nil }
                inFraction = true
            } else {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                if digits == 19 { return longNumber(bytes, start, end) }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                digits += 1
                if inFraction { fractionDigits += 1 }
            }
            position += 1
        }
        guard digits > 0 else { return nil }
        var divisor = 1.0  // powers of ten up to 1e22 are exact in a Double
        for _ in 0..<fractionDigits { divisor *= 10 }
        let magnitude = Double(mantissa) / divisor
        return negative ? -magnitude : magnitude
    }

    /// `number` for more than 19 digits: a Double accumulated digit by digit (already checked to be
    /// digits, at most one point and an optional leading minus).
    private static func longNumber(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Double? {
        var negative = false
        var integer = 0.0
        var fraction = 0.0
        var scale = 1.0
        var inFraction = false
        for position in start..<end {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "-") where position == start: negative = true
            case UInt8(ascii: "."):
                if inFraction { return nil }
                inFraction = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inFraction {
                    scale /= 10
                    fraction += Double(byte - UInt8(ascii: "0")) * scale
                } else {
                    integer = integer * 10 + Double(byte - UInt8(ascii: "0"))
                }
            default:
                return nil
            }
        }
        guard integer.isFinite else { return nil }
        return (negative ? -1 : 1) * (integer + fraction)
    }

    /// Milliseconds with two decimals, without Foundation's formatter (this runs on every response).
    public static func format(_ milliseconds: Double) -> String {
        let hundredths = Int((max(0, milliseconds) * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
