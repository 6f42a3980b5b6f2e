@testable import ArchMeshServer
import Testing

@Suite("Database gate")
struct DatabaseGateTests {
    let second: UInt64 = 1_000_000_000

    @Test("while the database is up, every request may wait for a connection")
    func upMeansWait() {
        let gate = DatabaseGate()
        #expect(gate.decide(now: 10 * second) == .wait, "nothing has succeeded yet")
        gate.succeeded(now: 10 * second)
        #expect(gate.decide(now: 12 * second) == .wait)
    }

    @Test("once the database is down, requests are refused except one probe per interval, and a success reopens it")
    func outageAndRecovery() {
        let gate = DatabaseGate(probeInterval: .milliseconds(250))
        gate.succeeded(now: 10 * second)
        gate.failed(now: 10 * second + 1)
        #expect(gate.downSinceNanoseconds == 10 * second + 1)
        #expect(gate.decide(now: 10 * second + 2) == .refuse)
        let probeTime = 10 * second + second / 4 + 1
        #expect(gate.decide(now: probeTime) == .wait, "the probe")
        #expect(gate.decide(now: probeTime) == .refuse, "only one probe per interval")
        gate.failed(now: probeTime + 5)
        #expect(gate.downSinceNanoseconds == 10 * second + 1, "the outage's start is kept")
        gate.succeeded(now: probeTime + 10)
        #expect(gate.downSinceNanoseconds == nil)
        #expect(gate.decide(now: probeTime + 20) == .wait)
    }

    @Test("requests waiting with nothing handed out and nothing in use for the stall limit mean the pool lost its connections")
    func stallWhileNothingIsLeased() {
        let gate = DatabaseGate(probeInterval: .milliseconds(250), stallLimit: .milliseconds(500))
        gate.succeeded(now: 10 * second)
        gate.waitStarted(now: 10 * second + 1)
        #expect(gate.decide(now: 10 * second + second / 4) == .wait, "a short wait is just a wait")
        #expect(gate.decide(now: 11 * second) == .refuse, "half a second with nothing handed out: down")
        #expect(gate.downSinceNanoseconds == 11 * second)
    }

    @Test("a pool whose connections are all busy is full, not down: its timeouts do not close the gate")
    func busyPoolIsNotDown() {
        let gate = DatabaseGate(probeInterval: .milliseconds(250), stallLimit: .milliseconds(500))
        gate.succeeded(now: 10 * second)
        gate.leaseStarted()
        gate.waitStarted(now: 10 * second + 1)
        #expect(gate.decide(now: 13 * second) == .wait)
        gate.timedOut(now: 13 * second)
        #expect(gate.downSinceNanoseconds == nil, "a timeout while a connection is busy is not an outage")
        gate.leaseEnded()
        gate.waitEnded()
        #expect(!gate.stalled(now: 20 * second), "no one waits")
        gate.timedOut(now: 21 * second)
        #expect(gate.downSinceNanoseconds == 21 * second, "a timeout with nothing in use is")
    }

    @Test("after an idle spell, a new wait starts its own clock")
    func idleSpellResetsTheWait() {
        let gate = DatabaseGate(probeInterval: .milliseconds(250), stallLimit: .milliseconds(500))
        gate.succeeded(now: 10 * second)
        gate.waitStarted(now: 10 * second + 1)
        gate.waitEnded()
        gate.waitStarted(now: 100 * second)
        #expect(gate.decide(now: 100 * second + 10) == .wait, "the first request after an hour of quiet is not refused")
    }
}
