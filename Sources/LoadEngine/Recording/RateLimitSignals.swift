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

    /// What remains and when it resets, whichever draft's form: the earlier drafts' one policy
    /// (`limit=100, remaining=0, reset=5`), or the current list of policies (`"a";r=5;t=1,
    /// "b";r=0;t=30`), of which the one with the least remaining is the one that binds.
    mutating func readRateLimit(_ value: UnsafeRawBufferPointer) {
        rateLimitPresent = true
        if ResponseParser.containsIgnoringCase(value, "remaining=") {
            let (left, resets) = Self.parameters(value, separators: Self.onePolicySeparators)
            remaining = left
            reset = resets
            return
        }
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count, value[end] != UInt8(ascii: ",") { end += 1 }
            let (left, resets) = Self.parameters(UnsafeRawBufferPointer(rebasing: value[start..<end]), separators: Self.listPolicySeparators)
            if let left, remaining.map({ left < $0 }) ?? true {
                remaining = left
                reset = resets
            } else if remaining == nil, reset == nil {
                reset = resets  // a policy whose remaining could not be read still says when it resets
            }
            start = end + 1
        }
    }

    /// What separates parameters: in the earlier drafts' one policy, `;` or `,`; in a policy of the
    /// current list (which `,` separates), `;`. Made once: a limited route's every answer is read.
    private static let onePolicySeparators: [UInt8] = [UInt8(ascii: ";"), UInt8(ascii: ",")]
    private static let listPolicySeparators: [UInt8] = [UInt8(ascii: ";")]

    /// The first `r=`/`remaining=` and `t=`/`reset=` among the parameters.
    private static func parameters(_ value: UnsafeRawBufferPointer, separators: [UInt8]) -> (remaining: Int?, reset: Int?) {
        var remaining: Int?, reset: Int?
        var start = 0
        while start < value.count {
            var end = start
            while end < value.count, !separators.contains(value[end]) { end += 1 }
            var first = start
            while first < end, value[first] == UInt8(ascii: " ") || value[first] == UInt8(ascii: "\t") { first += 1 }
            let item = UnsafeRawBufferPointer(rebasing: value[first..<end])
            if remaining == nil, let number = number(item, after: "r=") ?? number(item, after: "remaining=") { remaining = number }
            if reset == nil, let number = number(item, after: "t=") ?? number(item, after: "reset=") { reset = number }
            start = end + 1
        }
        return (remaining, reset)
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
