/// A `database` scenario's `database:` block: the least ratio of the API's throughput to its
/// database's, for the same statements, that passes (`min_ratio: 0.5`); without one the ratio is
/// reported, not judged.
public struct DatabaseLoadExpectation: Codable, Sendable, Equatable {
    public var minRatio: Double?

    public init(minRatio: Double? = nil) {
        self.minRatio = minRatio
    }
}
