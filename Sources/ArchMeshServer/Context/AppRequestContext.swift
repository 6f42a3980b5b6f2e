import Foundation
import Hummingbird
import Logging
import Observability

/// The per-request context of the reference server: Hummingbird's core, plus the request's ID and
/// its timings.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's ID: the client's `X-Request-ID` when well formed, a new one otherwise.
    public var requestID: String
    /// Where the request's time went; shared with the database layer.
    public let timings: RequestTimings

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.timings = RequestTimings()
    }

    /// Keys in a stable order and slashes unescaped, so responses read well in a terminal.
    public var responseEncoder: JSONEncoder { Self.encoder }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
