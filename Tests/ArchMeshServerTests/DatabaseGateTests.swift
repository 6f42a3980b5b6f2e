@testable import ArchMeshServer
import Testing

@Suite("Database gate")
struct DatabaseGateTests {
    let second: UInt64 = 1_000_000_000

    @Test("a fresh success lets requests take the plain path; after an idle spell they are guarded")
    func freshness() {
        let gate = DatabaseGate(freshnessNanoseconds: second, probeIntervalNanoseconds: second / 4)
        #expect(gate.decide(now: 10 * second) == .guarded, "nothing has succeeded yet")
        gate.succeeded(now: 10 * second)
        #expect(gate.decide(now: 10 * second + second / 2) == .plain)
        #expect(gate.decide(now: 12 * second) == .guarded)
    }

    @Test("once the database is down, requests are refused except one probe per interval, and a success reopens it")
    func outageAndRecovery() {
        let gate = DatabaseGate(freshnessNanoseconds: second, probeIntervalNanoseconds: second / 4)
        gate.succeeded(now: 10 * second)
        gate.failed(now: 10 * second + 1)
        #expect(gate.downSinceNanoseconds == 10 * second + 1)
        #expect(gate.decide(now: 10 * second + 2) == .refuse)
        let probeTime = 10 * second + second / 4 + 1
        #expect(gate.decide(now: probeTime) == .guarded, "the probe")
        #expect(gate.decide(now: probeTime) == .refuse, "only one probe per interval")
        gate.failed(now: probeTime + 5)
        #expect(gate.downSinceNanoseconds == 10 * second + 1, "the outage's start is kept")
        gate.succeeded(now: probeTime + 10)
        #expect(gate.downSinceNanoseconds == nil)
        #expect(gate.decide(now: probeTime + 20) == .plain)
    }
}
