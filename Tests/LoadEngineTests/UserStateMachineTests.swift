@testable import LoadEngine
import Testing

/// The virtual user's decisions, driven without sockets or clocks: times are plain numbers.
@Suite("Virtual user state machine")
struct UserStateMachineTests {
    typealias Machine = UserStateMachine
    static let ms: UInt64 = 1_000_000

    /// A machine whose first connection is open and whose clock started at 0 with `kind`.
    func started(_ kind: UserSchedule.Kind, think: UInt64 = 0) -> (Machine, Machine.Actions) {
        var machine = Machine()
        #expect(machine.connectInitially() == .connect)
        #expect(machine.connected(now: 0) == Machine.Actions())
        let actions = machine.start(UserSchedule(kind: kind, index: 0, start: 0, think: think), now: 0)
        return (machine, actions)
    }

    @Test("a closed user sends its requests back to back and finishes after the last answer")
    func closedRequests() {
        var (machine, actions) = started(.requests(remaining: 2))
        #expect(actions.next == .send(due: 0))
        actions = machine.responseReceived(now: 5 * Self.ms, keepAlive: true, trailingBytes: false)
        #expect(actions.outcome == .init(error: nil, due: 0, sent: 0))
        #expect(actions.next == .send(due: 5 * Self.ms))
        actions = machine.responseReceived(now: 9 * Self.ms, keepAlive: true, trailingBytes: false)
        #expect(actions.next == .finish)
        #expect(actions.close)
        #expect(machine.state == .finished)
    }

    @Test("think time pauses between an answer and the next request")
    func thinkTime() {
        var (machine, actions) = started(.until(end: 1000 * Self.ms, ramp: nil), think: 100 * Self.ms)
        #expect(actions.next == .send(due: 0))
        actions = machine.responseReceived(now: 10 * Self.ms, keepAlive: true, trailingBytes: false)
        #expect(actions.next == .wake(at: 110 * Self.ms))
        #expect(machine.state == .pausing(connected: true))
        #expect(machine.timerFired(now: 110 * Self.ms).next == .send(due: 110 * Self.ms))
    }

    @Test("an open user waits for each due time and measures from it when it sends late")
    func openSchedule() {
        let pacer = ConstantRate(rate: 10, duration: .seconds(1))
        var (machine, actions) = started(.open(pacer: pacer, next: 0, stride: 2, end: 1000 * Self.ms))
        #expect(actions.next == .send(due: 0))
        // Its next request is the run's third (it takes every second one): due at 200 ms.
        actions = machine.responseReceived(now: 50 * Self.ms, keepAlive: true, trailingBytes: false)
        #expect(actions.next == .wake(at: 200 * Self.ms))
        // Answered late: request 4, due at 400 ms, leaves at once and keeps its due time.
        _ = machine.timerFired(now: 200 * Self.ms)
        actions = machine.responseReceived(now: 450 * Self.ms, keepAlive: true, trailingBytes: false)
        #expect(actions.next == .send(due: 400 * Self.ms))
        #expect(machine.owed(totalDue: 10) == 2, "requests 6 and 8 are still this user's")
    }

    @Test("a Retry-After held by the user delays its next request in every model, within the schedule's end")
    func retryAfterHold() {
        // Closed, a fixed number of requests: the next one waits out the hold.
        var (machine, actions) = started(.requests(remaining: 2))
        actions = machine.responseReceived(now: 10 * Self.ms, keepAlive: true, trailingBytes: false, hold: 1000 * Self.ms)
        #expect(actions.next == .wake(at: 1010 * Self.ms))
        #expect(machine.timerFired(now: 1010 * Self.ms).next == .send(due: 1010 * Self.ms))
        // Closed for a duration with think time: the longer of the two; never past the end.
        (machine, actions) = started(.until(end: 500 * Self.ms, ramp: nil), think: 100 * Self.ms)
        actions = machine.responseReceived(now: 10 * Self.ms, keepAlive: true, trailingBytes: false, hold: 50 * Self.ms)
        #expect(actions.next == .wake(at: 110 * Self.ms), "think time is longer than this hold")
        actions = machine.timerFired(now: 110 * Self.ms)
        actions = machine.responseReceived(now: 120 * Self.ms, keepAlive: true, trailingBytes: false, hold: 2000 * Self.ms)
        #expect(actions.next == .wake(at: 500 * Self.ms), "a hold past the end waits until the end")
        #expect(machine.timerFired(now: 500 * Self.ms).next == .finish)
        // Open: the requests due during the hold leave after it, late, keeping their due times.
        let pacer = ConstantRate(rate: 10, duration: .seconds(1))
        (machine, actions) = started(.open(pacer: pacer, next: 0, stride: 1, end: 1000 * Self.ms))
        actions = machine.responseReceived(now: 10 * Self.ms, keepAlive: true, trailingBytes: false, hold: 300 * Self.ms)
        #expect(actions.next == .wake(at: 310 * Self.ms))
        #expect(machine.timerFired(now: 310 * Self.ms).next == .send(due: 100 * Self.ms), "due at 100 ms, sent after the hold")
    }

    @Test("a closed connection is reopened lazily, when the next request is due")
    func reconnectOnNextSend() {
        var (machine, actions) = started(.requests(remaining: 3))
        actions = machine.responseReceived(now: Self.ms, keepAlive: false, trailingBytes: false)
        #expect(actions.close)
        #expect(actions.next == .connect)
        #expect(machine.state == .connecting(due: Self.ms))
        actions = machine.connected(now: 2 * Self.ms)
        #expect(actions.next == .send(due: Self.ms))
        #expect(machine.state == .waiting(.init(due: Self.ms, sent: 2 * Self.ms)))
    }

    @Test("failures back off before reconnecting, doubling to a second, and an answer resets them")
    func backoff() {
        var (machine, actions) = started(.requests(remaining: 20))
        var now: UInt64 = 0
        var waits: [UInt64] = []
        for _ in 0..<8 {
            actions = machine.connectionClosed(now: now, completedResponse: false)
            #expect(actions.outcome?.error == .read)
            guard case .wake(let at) = actions.next else { Issue.record("expected a backoff"); return }
            waits.append((at - now) / Self.ms)
            now = at
            #expect(machine.timerFired(now: now).next == .connect)
            #expect(machine.connected(now: now).next == .send(due: now))
        }
        #expect(waits == [25, 50, 100, 200, 400, 800, 1000, 1000])
        _ = machine.responseReceived(now: now, keepAlive: true, trailingBytes: false)
        #expect(machine.consecutiveFailures == 0)
    }

    @Test("a failed connect fails the request that wanted it, and the last one finishes the user at once")
    func connectFailure() {
        var (machine, actions) = started(.requests(remaining: 1))
        actions = machine.connectionFailed(.read, now: Self.ms)
        #expect(actions.next == .finish, "no backoff when nothing is left to send")
        (machine, actions) = started(.requests(remaining: 2))
        _ = machine.connectionClosed(now: 0, completedResponse: false)
        _ = machine.timerFired(now: 25 * Self.ms)
        actions = machine.connectFailed(now: 30 * Self.ms)
        #expect(actions.outcome == .init(error: .connect, due: 25 * Self.ms, sent: 30 * Self.ms))
        #expect(actions.next == .finish)
    }

    @Test("bytes nobody asked for close the connection and are no request's answer")
    func unsolicited() {
        var (machine, _) = started(.until(end: 1000 * Self.ms, ramp: nil), think: 100 * Self.ms)
        _ = machine.responseReceived(now: Self.ms, keepAlive: true, trailingBytes: false)
        let actions = machine.protocolViolation(now: 2 * Self.ms)
        #expect(actions.outcome == nil)
        #expect(actions.close)
        #expect(machine.state == .pausing(connected: false))
    }

    @Test("a response with bytes after it is a protocol error on its request")
    func trailingBytes() {
        var (machine, _) = started(.requests(remaining: 5))
        let actions = machine.responseReceived(now: Self.ms, keepAlive: true, trailingBytes: true)
        #expect(actions.outcome?.error == .protocol)
        #expect(actions.close)
    }

    @Test("a timeout fails the request and the next one goes at once on a new connection")
    func timeout() {
        var (machine, _) = started(.requests(remaining: 5))
        #expect(machine.checkTimeout(now: 5 * Self.ms, limit: 10 * Self.ms) == Machine.Actions())
        let actions = machine.checkTimeout(now: 11 * Self.ms, limit: 10 * Self.ms)
        #expect(actions.outcome?.error == .timeout)
        #expect(actions.close)
        #expect(actions.next == .connect)
    }

    @Test("stopping ends the user once, whatever arrives after")
    func stop() {
        var (machine, _) = started(.requests(remaining: 5))
        #expect(machine.stop() == .init(close: true, next: .finish))
        #expect(machine.stop() == Machine.Actions())
        #expect(machine.responseReceived(now: Self.ms, keepAlive: true, trailingBytes: false).outcome == nil)
        #expect(machine.connected(now: Self.ms).close)
    }

    @Test("a ramp's user waits its turn and stops at the end")
    func rampTurn() {
        let ramp = UserRamp(startUsers: 0, stages: [.init(duration: .seconds(1), target: 4)])
        var machine = Machine()
        _ = machine.connectInitially()
        _ = machine.connected(now: 0)
        let schedule = UserSchedule(kind: .until(end: 1000 * Self.ms, ramp: ramp), index: 2, start: 0, think: 0)
        #expect(machine.start(schedule, now: 0).next == .wake(at: UserSchedule.rampPoll))
        #expect(machine.timerFired(now: 700 * Self.ms).next == .send(due: 700 * Self.ms), "3 users at 0.7 s: index 2 sends")
        #expect(machine.responseReceived(now: 1000 * Self.ms, keepAlive: true, trailingBytes: false).next == .finish)
    }
}
