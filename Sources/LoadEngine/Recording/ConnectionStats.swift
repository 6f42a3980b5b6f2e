/// What happened to a run's connections, apart from its requests: how often the engine had to
/// open one, how often that failed, how often the server closed one, and bytes that came with no
/// request to answer (a banner, a 408 on an idle connection, a second answer).
public struct ConnectionStats: Codable, Sendable, Equatable {
    public var opened = 0
    public var failed = 0
    public var closedByServer = 0
    public var unsolicited = 0
    /// HTTP/2: GOAWAY frames received (the server asked for no new streams on that connection).
    public var goAways = 0
    /// HTTP/2: streams the server reset (RST_STREAM with an error).
    public var streamsReset = 0
    /// HTTP/2: streams a server going away refused unprocessed (REFUSED_STREAM after a GOAWAY),
    /// each request sent again on a new connection.
    public var streamsRefused = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case opened, failed, closedByServer, unsolicited = "unsolicitedResponses", goAways, streamsReset, streamsRefused
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        opened = try container.decodeCount(forKey: .opened)
        failed = try container.decodeCount(forKey: .failed)
        closedByServer = try container.decodeCount(forKey: .closedByServer)
        unsolicited = try container.decodeCount(forKey: .unsolicited)
        // Absent from reports written before HTTP/2.
        goAways = try container.contains(.goAways) ? container.decodeCount(forKey: .goAways) : 0
        streamsReset = try container.contains(.streamsReset) ? container.decodeCount(forKey: .streamsReset) : 0
        streamsRefused = try container.contains(.streamsRefused) ? container.decodeCount(forKey: .streamsRefused) : 0
    }

    mutating func merge(_ other: ConnectionStats) {
        opened += other.opened
        failed += other.failed
        closedByServer += other.closedByServer
        unsolicited += other.unsolicited
        goAways += other.goAways
        streamsReset += other.streamsReset
        streamsRefused += other.streamsRefused
    }
}
