/// What one response said of a rate limit: RFC 9110's `Retry-After` and the IETF `RateLimit` and
/// `RateLimit-Policy` headers (draft-ietf-httpapi-ratelimit-headers: `"name";r=0;t=5`, and the
/// earlier drafts' `limit=100, remaining=0, reset=5`). Read straight from the header bytes, only
/// when those headers are there.
struct RateLimitSignals: Codable, Equatable, Sendable {
    /// `Retry-After` was there.
    var retryAfterPresent = false
    /// Its delay in seconds (nil when it was an HTTP date, or not a number).
    var retryAfterSeconds: Int?
    var rateLimitPresent = false
    var policyPresent = false
    /// From `RateLimit`: what remains (`r=` or `remaining=`) and the seconds until more (`t=` or `reset=`).
    var remaining: Int?
    var reset: Int?

    var isEmpty: Bool { !retryAfterPresent && !rateLimitPresent && !policyPresent }

    /// The largest delay believed, in seconds (a day): a larger one is read as absent.
    static let largestSeconds = 86_400

    mutating func readRetryAfter(_ value: UnsafeRawBufferPointer) {
        retryAfterPresent = true
        retryAfterSeconds = Self.seconds(value)
    }

    /// The first `r=`/`remaining=` and `t=`/`reset=` of the value, whichever draft's form.
    mutating func readRateLimit(_ value: UnsafeRawBufferPointer) {
        rateLimitPresent = true
        var start = 0
        while start < value.count {
            var end = start
            while end < value.count, value[end] != UInt8(ascii: ";"), value[end] != UInt8(ascii: ",") { end += 1 }
            var first = start
            while first < end, value[first] == UInt8(ascii: " ") || value[first] == UInt8(ascii: "\t") { first += 1 }
            let item = UnsafeRawBufferPointer(rebasing: value[first..<end])
            if remaining == nil, let number = Self.number(item, after: "r=") ?? Self.number(item, after: "remaining=") { remaining = number }
            if reset == nil, let number = Self.number(item, after: "t=") ?? Self.number(item, after: "reset=") { reset = number }
            start = end + 1
        }
    }

    /// A refusal's signals disagree: its `RateLimit` says requests remain, or gives a reset more
    /// than a second away from its `Retry-After`.
    var contradictsRefusal: Bool {
        if let remaining, remaining > 0 { return true }
        if let reset, let retryAfterSeconds, abs(reset - retryAfterSeconds) > 1 { return true }
        return false
    }

    /// Decimal digits (spaces around them allowed), at most `largestSeconds`; nil otherwise.
    static func seconds(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var value = 0, digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { if digits == 0 { continue } else { break } }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
            guard value <= largestSeconds else { return nil }
        }
        return digits > 0 ? value : nil
    }

    /// The number after `name` (lowercase, with its `=`) when the item starts with it.
    private static func number(_ item: UnsafeRawBufferPointer, after name: StaticString) -> Int? {
        guard ResponseParser.equalsIgnoringCase(item, 0, name) else { return nil }
        return seconds(UnsafeRawBufferPointer(rebasing: item[name.utf8CodeUnitCount...]))
    }
}
