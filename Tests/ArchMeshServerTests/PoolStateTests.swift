@testable import ArchMeshServer
import Testing

/// The pool's decisions, driven without sockets or clocks: times are plain numbers.
@Suite("Connection pool state")
struct PoolStateTests {
    static let ms: UInt64 = 1_000_000
    func pool(maximum: Int = 2) -> PoolState {
        PoolState(.init(maximumConnections: maximum, acquireTimeout: 500 * Self.ms, probeInterval: 250 * Self.ms))
    }

    @Test("the first leases open connections up to the maximum; later ones wait for one to come back")
    func growsToTheMaximum() {
        var state = pool()
        #expect(state.lease(1, now: 0) == .wait(connect: true))
        #expect(state.lease(2, now: 0) == .wait(connect: true))
        #expect(state.lease(3, now: 0) == .wait(connect: false), "two connections are being opened: the third waits")
        #expect(state.connected(100, now: 1) == .give(100, to: 1))
        #expect(state.connected(101, now: 1) == .give(101, to: 2))
        #expect(state.release(100, broken: false, now: 2) == .give(100, to: 3), "a connection that comes back goes to the request waiting longest")
        #expect(state.release(101, broken: false, now: 3) == .keep)
        #expect(state.leaseIdle() == 101, "the connection released last is taken first")
        #expect(state.connections == 2)
    }

    @Test("filling opens what is missing up to the maximum, and nothing while the database is down")
    func fills() {
        var state = pool(maximum: 3)
        #expect(state.lease(1, now: 0) == .wait(connect: true))
        #expect(state.fill() == 2, "one connection is already being opened for the waiting request")
        #expect(state.connections == 3)
        #expect(state.fill() == 0)
        #expect(state.connected(100, now: 1) == .give(100, to: 1))
        #expect(state.connected(101, now: 1) == .keep)
        #expect(state.connectFailed(now: 2).isEmpty)
        #expect(state.fill() == 0, "while the database is down, only a probe opens a connection")
    }

    @Test("a full pool is busy, not down: waits end at their deadline and the next lease still waits")
    func fullPoolTimesOut() {
        var state = pool(maximum: 1)
        _ = state.lease(1, now: 0)
        _ = state.connected(100, now: 1)
        #expect(state.lease(2, now: 10 * Self.ms) == .wait(connect: false))
        #expect(state.expire(now: 400 * Self.ms).isEmpty)
        #expect(state.expire(now: 510 * Self.ms) == [2])
        #expect(state.downSince == nil)
        #expect(state.lease(3, now: 600 * Self.ms) == .wait(connect: false), "not refused: the database is up")
    }

    @Test("a failed connect answers every waiting request at once, refuses new ones but for a probe, and a connect reopens it")
    func outageAndRecovery() {
        var state = pool()
        #expect(state.lease(1, now: 0) == .wait(connect: true))
        #expect(state.lease(2, now: 0) == .wait(connect: true))
        #expect(state.connectFailed(now: 5 * Self.ms) == [1, 2])
        #expect(state.downSince == 5 * Self.ms)
        _ = state.connectFailed(now: 6 * Self.ms)
        #expect(state.lease(3, now: 10 * Self.ms) == .refuse)
        #expect(state.lease(4, now: 260 * Self.ms) == .wait(connect: true), "the probe")
        #expect(state.lease(5, now: 261 * Self.ms) == .refuse, "one probe per interval")
        #expect(state.connected(100, now: 270 * Self.ms) == .give(100, to: 4))
        #expect(state.downSince == nil)
        #expect(state.lease(6, now: 280 * Self.ms) == .wait(connect: true))
    }

    @Test("a broken connection is dropped, and replaced when a request waits for one")
    func brokenConnections() {
        var state = pool(maximum: 1)
        _ = state.lease(1, now: 0)
        _ = state.connected(100, now: 1)
        #expect(state.lease(2, now: 2) == .wait(connect: false))
        #expect(state.release(100, broken: true, now: 3) == .connect)
        #expect(state.connections == 1, "the replacement counts while it is being opened")
        #expect(state.connected(101, now: 4) == .give(101, to: 2))
        #expect(state.release(101, broken: true, now: 5) == .nothing, "nobody waits: nothing to replace it for")
        #expect(state.connections == 0)
    }
}
