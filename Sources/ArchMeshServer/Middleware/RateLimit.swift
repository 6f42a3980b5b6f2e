import Foundation
import Observability
import Synchronization

/// `archmesh serve --rate-limit 100/s`: what is limited and how (off by default). A token bucket
/// per client: `rate` tokens a second up to `burst`; a request takes one or is answered 429.
public struct RateLimit: Sendable, Equatable {
    /// Whose requests share a bucket.
    public enum Key: Sendable, Equatable {
        /// The client's IP address.
        case address
        /// The value of this request header (an API key, say); requests without it share one bucket.
        case header(String)
    }

    /// Tokens a second.
    public var rate: Double
    public var burst: Int
    public var key: Key

    public init(rate: Double, burst: Int, key: Key = .address) {
        self.rate = rate
        self.burst = burst
        self.key = key
    }

    /// `address` or `header:NAME`; nil for anything else.
    public static func key(_ text: String) -> Key? {
        if text == "address" { return .address }
        guard text.hasPrefix("header:"), case let name = String(text.dropFirst("header:".count)), !name.isEmpty,
            name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") })
        else { return nil }
        return .header(name)
    }

    /// The IETF `RateLimit-Policy` value (draft-ietf-httpapi-ratelimit-headers): the burst as the
    /// quota, over the seconds the bucket takes to fill from empty.
    var policyHeader: String {
        "\"archmesh\";q=\(burst);w=\(max(1, Int((Double(burst) / rate).rounded(.up))))"
    }
}

/// The buckets, one per client key, refilled as time passes. Clients not seen for long are
/// forgotten once there are many, so a flood of addresses cannot grow it without bound.
final class RateLimiter: Sendable {
    enum Decision: Equatable {
        /// Taken: the tokens left, and the seconds until the bucket is full again.
        case allowed(remaining: Int, fullIn: Int)
        /// Refused: the seconds until a token is there.
        case refused(retryAfter: Int)
    }

    let limit: RateLimit
    private let buckets = Mutex<[String: Bucket]>([:])
    static let rememberedClients = 10_000

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    init(_ limit: RateLimit) {
        self.limit = limit
    }

    func take(_ client: String, now: UInt64 = MonotonicClock.nanoseconds()) -> Decision {
        buckets.withLock { buckets in
            let burst = Double(limit.burst)
            var bucket = buckets[client] ?? Bucket(tokens: burst, updated: now)
            // `now` was read before the lock: another request may have stamped the bucket later.
            // Time never runs backwards here (a wrapped difference would fill the bucket at once).
            bucket.tokens = min(burst, bucket.tokens + Self.seconds(from: bucket.updated, to: now) * limit.rate)
            bucket.updated = max(bucket.updated, now)
            defer {
                if buckets.count >= Self.rememberedClients && buckets[client] == nil { forgetFull(&buckets, now: now) }
                buckets[client] = bucket
            }
            guard bucket.tokens >= 1 else {
                return .refused(retryAfter: max(1, Int(((1 - bucket.tokens) / limit.rate).rounded(.up))))
            }
            bucket.tokens -= 1
            return .allowed(remaining: Int(bucket.tokens), fullIn: Int(((burst - bucket.tokens) / limit.rate).rounded(.up)))
        }
    }

    /// Drops the buckets that would be full by now (nothing is lost: a new one starts full).
    private func forgetFull(_ buckets: inout [String: Bucket], now: UInt64) {
        let burst = Double(limit.burst)
        buckets = buckets.filter { $0.value.tokens + Self.seconds(from: $0.value.updated, to: now) * limit.rate < burst }
    }

    private static func seconds(from earlier: UInt64, to later: UInt64) -> Double {
        later > earlier ? Double(later - earlier) / 1e9 : 0
    }
}
