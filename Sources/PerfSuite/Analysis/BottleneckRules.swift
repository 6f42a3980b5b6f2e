import Foundation

/// Which part of an endpoint's time dominates, with the figures that decided it.
public struct BottleneckVerdict: Codable, Sendable, Equatable {
    public enum Component: String, Codable, Sendable, CaseIterable {
        case database
        case pool
        case application
        case clientNetwork = "client/network"
        case unknown
    }

    public var component: Component
    /// The rule that fired, in words.
    public var rule: String
    /// The figures the rule looked at.
    public var evidence: [String]
    /// Each component's share of the mean client latency, in percent.
    public var shares: [String: Double]
}

/// An endpoint's mean client latency in the four parts that add up to it.
public struct MeanParts: Sendable, Equatable {
    public var database: Double
    public var pool: Double
    /// The handler's own time: `app - db - pool`.
    public var handler: Double
    /// Outside the handler: `client - app`.
    public var remainder: Double

    public init(client: Quantiles, app: Quantiles, database: Quantiles, pool: Quantiles) {
        self.database = database.mean
        self.pool = pool.mean
        handler = app.mean - database.mean - pool.mean
        remainder = client.mean - app.mean
    }
}

/// The stated rules behind every verdict. They work on means, which add up (the handler's own time
/// is `app - db - pool`; the remainder is `client - app`), so the shares sum to 100%.
///
/// 1. No `Server-Timing` on the responses: unknown.
/// 2. Pool: the mean wait for a connection is at least 20% of the mean client latency, or its p95 is
///    at least half the client's p95. Waiting for a connection means the pool is the queue.
/// 3. Otherwise the largest share wins among database (`db`), application (the handler's own time)
///    and client/network (the remainder), provided it is at least 40%.
/// 4. No share reaches 40%: the largest, marked as a weak lead.
public enum BottleneckRules {
    public static let poolShareLimit = 20.0
    public static let leadingShare = 40.0

    public static let statement = [
        "No Server-Timing on the responses: unknown.",
        "Pool when the mean pool wait is at least \(Int(poolShareLimit))% of the mean client latency, or the pool p95 is at least half the client p95.",
        "Otherwise the largest mean share among database (db), application (app - db - pool) and client/network (client - app), when at least \(Int(leadingShare))%.",
        "No share reaches \(Int(leadingShare))%: the largest, as a weak lead.",
    ]

    public static func verdict(
        client: Quantiles, app: Quantiles, database: Quantiles, pool: Quantiles, timedResponses: Int
    ) -> BottleneckVerdict {
        guard timedResponses > 0, client.mean > 0 else {
            return BottleneckVerdict(component: .unknown, rule: statement[0], evidence: ["\(timedResponses) timed responses"], shares: [:])
        }
        func share(_ milliseconds: Double) -> Double { (max(0, milliseconds) / client.mean * 100 * 10).rounded() / 10 }
        let parts = MeanParts(client: client, app: app, database: database, pool: pool)
        let shares: [(BottleneckVerdict.Component, Double)] = [
            (.database, share(parts.database)), (.pool, share(parts.pool)), (.application, share(parts.handler)), (.clientNetwork, share(parts.remainder)),
        ]
        let named = Dictionary(uniqueKeysWithValues: shares.map { ($0.0.rawValue, $0.1) })
        let means = String(
            format: "means: client %.2f ms = db %.2f + pool %.2f + handler %.2f + remainder %.2f", client.mean, parts.database, parts.pool,
            parts.handler, parts.remainder)
        let poolShare = named["pool"] ?? 0
        if poolShare >= poolShareLimit || (client.p95 > 0 && pool.p95 >= client.p95 / 2) {
            let evidence = [means, String(format: "pool share %.1f%%; pool p95 %.2f ms against client p95 %.2f ms", poolShare, pool.p95, client.p95)]
            return BottleneckVerdict(component: .pool, rule: statement[1], evidence: evidence, shares: named)
        }
        let candidates = shares.filter { $0.0 != .pool }
        let leader = candidates.max { $0.1 < $1.1 }!
        let evidence = [means, candidates.map { "\($0.0.rawValue) " + String(format: "%.1f%%", $0.1) }.joined(separator: ", ")]
        if leader.1 >= leadingShare {
            return BottleneckVerdict(component: leader.0, rule: statement[2], evidence: evidence, shares: named)
        }
        return BottleneckVerdict(component: leader.0, rule: statement[3], evidence: evidence, shares: named)
    }
}
