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

    @Test("requests waiting with nothing handed out and nothing in use for the stall limit mean the pool lost its connections")
    func stallWhileNothingIsLeased() {
        let gate = DatabaseGate(freshnessNanoseconds: 0, probeIntervalNanoseconds: second / 4, stallLimitNanoseconds: second / 2)
        gate.succeeded(now: 10 * second)
        gate.waitStarted(now: 10 * second + 1)
        #expect(gate.decide(now: 10 * second + second / 4) == .guarded, "a short wait is just a wait")
        #expect(gate.decide(now: 11 * second) == .refuse, "half a second with nothing handed out: down")
        #expect(gate.downSinceNanoseconds == 11 * second)
    }

    @Test("a pool whose connections are all busy is full, not down")
    func busyPoolIsNotStalled() {
        let gate = DatabaseGate(freshnessNanoseconds: 0, probeIntervalNanoseconds: second / 4, stallLimitNanoseconds: second / 2)
        gate.succeeded(now: 10 * second)
        gate.leaseStarted()
        gate.waitStarted(now: 10 * second + 1)
        #expect(gate.decide(now: 13 * second) == .guarded)
        gate.leaseEnded()
        gate.waitEnded()
        #expect(!gate.stalled(now: 20 * second), "no one waits")
    }

    @Test("after an idle spell, a new wait starts its own clock")
    func idleSpellResetsTheWait() {
        let gate = DatabaseGate(freshnessNanoseconds: 0, probeIntervalNanoseconds: second / 4, stallLimitNanoseconds: second / 2)
        gate.succeeded(now: 10 * second)
        gate.waitStarted(now: 10 * second + 1)
        gate.waitEnded()
        gate.waitStarted(now: 100 * second)
        #expect(gate.decide(now: 100 * second + 10) == .guarded, "the first request after an hour of quiet is not refused")
    }
}
