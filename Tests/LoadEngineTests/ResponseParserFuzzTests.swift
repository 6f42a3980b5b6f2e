@testable import LoadEngine
import NIOCore
import Observability
import Testing

/// The parser over random byte streams: generated valid responses split at random places must
/// parse to what was generated, and mutated or random bytes must end in a response or a
/// `Failure`, never a trap or a loop. Seeded, so a failure can be replayed.
@Suite("Response parser, fuzzed")
struct ResponseParserFuzzTests {
    /// A valid response and what the parser must make of it.
    struct Generated {
        var bytes: [UInt8]
        var status: Int
        var bodyBytes: Int
    }

    static func generate(_ random: inout SplitMix64) -> Generated {
        let status = [200, 201, 204, 304, 400, 404, 500, 503].randomElement(using: &random)!
        let body = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 32...126, using: &random) }
        var head = "HTTP/1.1 \(status) Reason\r\n"
        if Bool.random(using: &random) { head += "Server-Timing: app;dur=\(Int.random(in: 0...99, using: &random)).5, dbq;desc=2\r\n" }
        for index in 0..<Int.random(in: 0...6, using: &random) { head += "X-Extra-\(index):   value \(index)\t\r\n" }
        let bodiless = status == 204 || status == 304
        var bytes: [UInt8]
        if !bodiless && Bool.random(using: &random) {
            bytes = Array((head + "Transfer-Encoding: chunked\r\n\r\n").utf8)
            var rest = body[...]
            while !rest.isEmpty {
                let take = Int.random(in: 1...max(1, rest.count), using: &random)
                bytes += Array((String(take, radix: 16) + (Bool.random(using: &random) ? ";x=y" : "") + "\r\n").utf8) + rest.prefix(take) + Array("\r\n".utf8)
                rest = rest.dropFirst(take)
            }
            bytes += Array("0\r\n\r\n".utf8)
        } else {
            bytes = Array((head + "Content-Length: \(bodiless ? 0 : body.count)\r\n\r\n").utf8) + (bodiless ? [] : body)
        }
        return Generated(bytes: bytes, status: status, bodyBytes: bodiless ? 0 : body.count)
    }

    /// Feeds `bytes` in random pieces; returns the responses, or the failure that ended parsing.
    static func feed(_ bytes: [UInt8], _ random: inout SplitMix64) -> (responses: [ParsedResponse], failed: Bool) {
        var parser = ResponseParser()
        var buffer = ByteBuffer()
        var responses: [ParsedResponse] = []
        var offset = 0
        do {
            while offset < bytes.count {
                let take = min(bytes.count - offset, Int.random(in: 1...64, using: &random))
                buffer.writeBytes(bytes[offset..<(offset + take)])
                offset += take
                while buffer.readableBytes > 0, let response = try parser.parse(&buffer) { responses.append(response) }
            }
        } catch {
            return (responses, true)
        }
        if let last = parser.connectionClosed() { responses.append(last) }
        return (responses, false)
    }

    @Test("valid responses in a row, split at random, parse to exactly what was sent")
    func validSequences() {
        var random = SplitMix64(seed: 20_261_125)
        for _ in 0..<4000 {
            let generated = (0..<Int.random(in: 1...4, using: &random)).map { _ in Self.generate(&random) }
            let (responses, failed) = Self.feed(generated.flatMap(\.bytes), &random)
            #expect(!failed)
            #expect(responses.map(\.status) == generated.map(\.status))
            #expect(responses.map(\.bodyBytes) == generated.map(\.bodyBytes))
        }
    }

    @Test("mutated and random bytes end in responses or a protocol failure, never a trap")
    func mutatedAndRandom() {
        var random = SplitMix64(seed: 42)
        var failures = 0
        for round in 0..<24_000 {
            var bytes: [UInt8]
            if round % 4 == 0 {
                bytes = (0..<Int.random(in: 0...400, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                if Bool.random(using: &random) { bytes = Array("HTTP/1.1 ".utf8) + bytes }
            } else {
                bytes = Self.generate(&random).bytes
                for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0...3, using: &random) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.remove(at: at)
                    case 2: bytes.insert(contentsOf: Array(["-", "9", "\r\n", ":", ";", "\u{0}"].randomElement(using: &random)!.utf8), at: at)
                    default: bytes.insert(contentsOf: Array(String(repeating: "9", count: 30).utf8), at: at)
                    }
                }
            }
            let (responses, failed) = Self.feed(bytes, &random)
            if failed { failures += 1 }
            for response in responses { #expect((100...599).contains(response.status) && response.bodyBytes >= 0) }
        }
        #expect(failures > 1000, "the mutations reach the failure paths")
    }
}
