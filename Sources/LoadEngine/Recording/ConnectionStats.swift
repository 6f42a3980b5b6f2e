/// What happened to a run's connections, apart from its requests: how often the engine had to
/// open one, how often that failed, how often the server closed one, and bytes that came with no
/// request to answer (a banner, a 408 on an idle connection, a second answer).
public struct ConnectionStats: Codable, Sendable, Equatable {
    public var opened = 0
    public var failed = 0
    public var closedByServer = 0
    public var unsolicited = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case opened, failed, closedByServer, unsolicited = "unsolicitedResponses"
    }

    mutating func merge(_ other: ConnectionStats) {
        opened += other.opened
        failed += other.failed
        closedByServer += other.closedByServer
        unsolicited += other.unsolicited
    }
}
