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

    @Test("durations are written with two decimals and never negative")
    func formatting() {
        #expect(ServerTiming.format(0) == "0.00")
        #expect(ServerTiming.format(1.005) == "1.01" || ServerTiming.format(1.005) == "1.00")
        #expect(ServerTiming.format(12.3456) == "12.35")
        #expect(ServerTiming.format(-3) == "0.00")
    }
}
