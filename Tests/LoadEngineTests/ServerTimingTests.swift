import Observability
import Testing

@Suite("Server-Timing header")
struct ServerTimingTests {
    @Test("the server's header parses back to the same figures")
    func roundTrip() {
        let timing = ServerTiming(appMilliseconds: 1.84, databaseMilliseconds: 0.92, poolMilliseconds: 0.05, queryCount: 2)
        #expect(timing.headerValue == "app;dur=1.84, db;dur=0.92, pool;dur=0.05, dbq;desc=2")
        #expect(ServerTiming(headerValue: timing.headerValue) == timing)
    }

    @Test("other servers' metrics, quoted values, odd spacing and missing parts are tolerated")
    func tolerant() {
        let parsed = ServerTiming(headerValue: #"cache;desc="hit", app ; dur = 12.5 ;desc="handler",db;dur=3,  dbq;desc="4""#)
        #expect(parsed == ServerTiming(appMilliseconds: 12.5, databaseMilliseconds: 3, poolMilliseconds: 0, queryCount: 4))
        #expect(ServerTiming(headerValue: "cdn-cache;desc=HIT, edge;dur=3") == nil)
        #expect(ServerTiming(headerValue: "") == nil)
    }

    @Test("figures that cannot be true reject the whole header instead of trapping or skewing")
    func rejected() {
        for value in ["app;dur=abc", "app;dur=-5", "db;dur=1" + String(repeating: "0", count: 400), "dbq;desc=-2", "dbq;desc=1.5",
            "dbq;desc=99999999999999999999999", "pool;dur=3600001", "app;dur=NaN", "dbq;desc=inf"]
        {
            #expect(ServerTiming(headerValue: value) == nil, "\(value)")
            var text = value
            #expect(text.withUTF8 { ServerTiming.parse(utf8: UnsafeRawBufferPointer($0)) } == .rejected, "\(value)")
        }
        var text = "cache;desc=hit, app;dur=3600000"
        #expect(text.withUTF8 { ServerTiming.parse(utf8: UnsafeRawBufferPointer($0)) }
            == .valid(ServerTiming(appMilliseconds: 3_600_000, databaseMilliseconds: 0, poolMilliseconds: 0, queryCount: 0)))
    }

    @Test("durations parse as Swift's own Double parser reads them, short and long, malformed ones refused")
    func numbersAgainstSwift() {
        var generator = SystemRandomNumberGenerator()
        let digitChars = Array("0123456789")
        for round in 0..<5_000 {
            // 1 to 30 digits, a point somewhere or nowhere, sometimes a leading minus.
            let count = round < 2_500 ? Int.random(in: 1...8, using: &generator) : Int.random(in: 1...30, using: &generator)
            var literal = String((0..<count).map { _ in digitChars.randomElement(using: &generator)! })
            if Bool.random(using: &generator) { literal.insert(".", at: literal.index(literal.startIndex, offsetBy: Int.random(in: 0...count, using: &generator))) }
            let negative = Int.random(in: 0..<10, using: &generator) == 0
            let written = (negative ? "-" : "") + literal
            let expected = Double(written)!
            let parsed = ServerTiming(headerValue: "app;dur=\(written)")
            if expected < 0 || expected > ServerTiming.maximumMilliseconds {
                #expect(parsed == nil || expected == 0, "\(written)")
            } else {
                let got = parsed?.appMilliseconds ?? -1
                #expect(abs(got - expected) <= abs(expected) * 1e-15, "\(written): \(got) against \(expected)")
            }
        }
        for malformed in ["1.2.3", "-", ".", "1-2", "--1", "1e3", "+1", "0x10", " 1 2"] {
            #expect(ServerTiming(headerValue: "app;dur=\(malformed)") == nil, "\(malformed)")
        }
    }

    @Test("durations are written with two decimals and never negative")
    func formatting() {
        #expect(ServerTiming.format(0) == "0.00")
        #expect(ServerTiming.format(1.005) == "1.01" || ServerTiming.format(1.005) == "1.00")
        #expect(ServerTiming.format(12.3456) == "12.35")
        #expect(ServerTiming.format(-3) == "0.00")
    }
}
