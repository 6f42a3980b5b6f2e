@testable import ArchMeshServer
import Foundation
import Logging
import NIOCore
import Testing

/// The server's log lines: one JSON object each, whatever the message and metadata hold, read back
/// by Foundation's reader as written, keys in order.
@Suite("JSON log lines")
struct JSONLogHandlerTests {
    func readBack(_ line: ByteBuffer) throws -> [String: String] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.readableBytesView)) as? [String: String])
    }

    static func event(_ message: String, _ metadata: Logger.Metadata?) -> LogEvent {
        LogEvent(level: .warning, message: "\(message)", metadata: metadata, source: nil, file: #fileID, function: #function, line: #line)
    }

    @Test("any characters in the message, the keys and the values read back as written; the event's metadata over the handler's, the line's own fields over both")
    func awkward() throws {
        let texts = JSONWriterTests.awkward + ["a \"quoted\" \\ back\\slash", "new\nline\r\n\ttab", "\u{0}\u{1F}\u{7F}", "日本語 🙂 é"]
        for (index, text) in texts.enumerated() {
            let line = JSONLogHandler.line(
                event: Self.event(text, ["value": .string(text), "key \(text)": .stringConvertible(index), "shared": "event", "level": "not the level"]),
                metadata: ["request_id": .string("abc"), "shared": "handler", "list": .array(["a", "b"])], label: "archmesh.\(text)", timestamp: "2026-11-26T18:00:00.000000Z")
            let fields = try readBack(line)
            #expect(fields == [
                "value": text, "key \(text)": "\(index)", "shared": "event", "level": "warning", "request_id": "abc", "list": Logger.MetadataValue.array(["a", "b"]).description,
                "logger": "archmesh.\(text)", "message": text, "timestamp": "2026-11-26T18:00:00.000000Z",
            ])
        }
    }

    @Test("keys come sorted, so that a line reads the same every time")
    func sorted() throws {
        let line = JSONLogHandler.line(
            event: Self.event("request", ["status": "200", "app_ms": "0.1", "route": "/api/v1/health"]), metadata: ["request_id": "r1"],
            label: "archmesh.http", timestamp: "t")
        #expect(String(buffer: line)
            == #"{"app_ms":"0.1","level":"warning","logger":"archmesh.http","message":"request","request_id":"r1","route":"/api/v1/health","status":"200","timestamp":"t"}"#)
    }
}
