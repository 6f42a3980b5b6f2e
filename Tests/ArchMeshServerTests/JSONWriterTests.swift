@testable import ArchMeshServer
import Foundation
import NIOCore
import Observability
import Testing

/// The server's own JSON writer against Foundation's reader: whatever text goes in must come back
/// out the same, and the room reserved for a value must hold it.
@Suite("JSON writer")
struct JSONWriterTests {
    /// Every character that must be escaped, and some that must not.
    static let awkward = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + ["\"", "\\", "/", "é", "日本", "🙂", "\u{7F}", ""]

    func readBack(_ json: JSONWriter) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(json.buffer.readableBytesView), options: [.fragmentsAllowed])
    }

    @Test("a string of any characters reads back as written, each at the start, middle and end")
    func everyCharacter() throws {
        for text in Self.awkward {
            for candidate in [text, "a\(text)b", String(repeating: text, count: 40), "\(text)x\(text)"] {
                var json = JSONWriter(capacity: 1)
                json.beginArray()
                json.string(candidate)
                json.string(candidate)
                json.endArray()
                let back = try #require(try readBack(json) as? [String])
                #expect(back == [candidate, candidate], "\(candidate.unicodeScalars.map { $0.value })")
            }
        }
    }

    @Test("random strings, seeded, read back as written")
    func randomStrings() throws {
        var random = SplitMix64(seed: 20_261_126)
        for _ in 0..<2_000 {
            let length = random.below(60)
            let scalars = (0..<length).map { _ -> Character in
                switch random.below(4) {
                case 0: Character(UnicodeScalar(UInt8(random.below(0x20))))
                case 1: Character(UnicodeScalar(UInt8(0x20 + random.below(0x5F))))
                case 2: Character(UnicodeScalar(UInt32(0xA0 + random.below(0x2000)))!)
                default: ["\"", "\\", "🙂", "\r\n"].randomElement(using: &random)!
                }
            }
            let text = String(scalars)
            var json = JSONWriter(capacity: 1)
            json.beginObject()
            json.key("k")
            json.string(text)
            json.endObject()
            let back = try #require(try readBack(json) as? [String: String])
            #expect(back == ["k": text])
        }
    }

    @Test("a uuid's bytes are written in their lowercase canonical form")
    func uuid() throws {
        let id = UUID()
        var bytes = ByteBuffer()
        withUnsafeBytes(of: id.uuid) { _ = bytes.writeBytes($0) }
        var json = JSONWriter(capacity: 1)
        json.raw(upTo: RawOutput.uuidBound) { output in bytes.withUnsafeReadableBytes { output.uuid($0) } }
        #expect(String(buffer: json.buffer) == "\"\(id.uuidString.lowercased())\"")
    }
}
