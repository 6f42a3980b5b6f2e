import Foundation
import Logging
import NIOCore
import Synchronization

/// A swift-log handler that writes one JSON object per line to standard error: timestamp, level,
/// logger label, message and every metadata key (the request ID among them), keys in order, for
/// log pipelines and for finding a report's slowest requests by their IDs.
///
/// The line is written by the server's own `JSONWriter`, as its answers are: with `--log-requests`
/// every request writes one, and Foundation's `JSONSerialization` made that half of the server's
/// CPU under load (profiled with `archmesh run --profile` on `health_stress`).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private static let output = Mutex(())

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = Self.line(event: event, metadata: metadata, label: label, timestamp: Timestamp.iso8601(Date()))
        line.writeInteger(UInt8(ascii: "\n"))
        Self.output.withLock { _ in
            line.withUnsafeReadableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    /// The JSON object for one event: the handler's metadata, the event's over it, then the
    /// timestamp, level, logger and message over both; keys sorted.
    static func line(event: LogEvent, metadata: Logger.Metadata, label: String, timestamp: String) -> ByteBuffer {
        var fields: [String: String] = [:]
        fields.reserveCapacity(metadata.count + (event.metadata?.count ?? 0) + 4)
        for (key, value) in metadata { fields[key] = Self.text(value) }
        for (key, value) in event.metadata ?? [:] { fields[key] = Self.text(value) }
        fields["timestamp"] = timestamp
        fields["level"] = event.level.rawValue
        fields["logger"] = label
        fields["message"] = event.message.description
        var json = JSONWriter(capacity: 384)
        json.beginObject()
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            json.key(key)
            json.string(value)
        }
        json.endObject()
        return json.buffer
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        if case .string(let string) = value { return string }
        return value.description
    }
}
