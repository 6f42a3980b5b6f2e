import Foundation
import Hummingbird
import Logging
import NIOCore
import Observability

/// The per-request context of the reference server: Hummingbird's core, plus the request's ID and
/// its timings.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's ID: the client's `X-Request-ID` when well formed, a new one otherwise.
    public var requestID: String
    /// Where the request's time went; shared with the database layer.
    public let timings: RequestTimings
    /// The connection, for the client's address when something asks (the rate limiter by address).
    private let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.timings = RequestTimings()
        self.channel = source.channel
    }

    /// The client's IP address; nil when the transport has none. Read when asked, not per request.
    public var remoteAddress: String? { channel.remoteAddress?.ipAddress }

    /// Keys in a stable order and slashes unescaped, so responses read well in a terminal.
    public var responseEncoder: JSONEncoder { Self.encoder }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
