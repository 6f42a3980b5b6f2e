#if os(Linux)
import Foundation
import NIOCore
import Observability
import NIOConcurrencyHelpers
import Testing

@testable import LoadEngine

/// The engine's own event loop and its timer queue, alone: the order timers fire in, cancelling,
/// tasks from other threads, shutting down. The loop's sockets are tested by every live and hostile
/// run, which use it for plain HTTP/1.1.
@Suite("The engine's socket loop")
struct SocketEventLoopTests {
    @Test("timers leave the queue by deadline, first scheduled first among equals, and a cancelled one never")
    func timerQueueOrder() {
        var generator = SplitMix64(seed: 20261126)
        for _ in 0..<200 {
            var queue = TimerQueue<Int>()
            var model: [(deadline: UInt64, sequence: UInt64, payload: Int)] = []
            var popped: [Int] = []
            var expected: [Int] = []
            var now: UInt64 = 0
            for step in 0..<300 {
                switch generator.next() % 4 {
                case 0, 1:
                    let deadline = now + generator.next() % 50
                    let sequence = queue.schedule(at: deadline, step)
                    model.append((deadline, sequence, step))
                case 2:
                    guard !model.isEmpty else { continue }
                    let index = Int(generator.next() % UInt64(model.count))
                    queue.cancel(model[index].sequence)
                    queue.cancel(model[index].sequence)  // twice is once
                    model.remove(at: index)
                default:
                    now += generator.next() % 20
                    while let payload = queue.popDue(now: now) { popped.append(payload) }
                    let due = model.filter { $0.deadline <= now }.sorted { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }
                    expected.append(contentsOf: due.map(\.payload))
                    model.removeAll { $0.deadline <= now }
                }
                #expect(queue.count == model.count)
            }
            #expect(popped == expected)
            let rest = queue.removeAll()
            #expect(rest == model.sorted { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }.map(\.payload))
            #expect(queue.count == 0 && queue.nextDeadline == nil)
        }
    }

    @Test("tasks from other threads run on the loop, each thread's in order")
    func tasksFromOtherThreads() async throws {
        let loop = try SocketEventLoop(name: "test-loop")
        let seen = NIOLockedValueBox<[Int: [Int]]>([:])
        let offLoop = NIOLockedValueBox(0)
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<4 {
                group.addTask {
                    let futures = (0..<250).map { number in
                        loop.submit {
                            if !loop.inEventLoop { offLoop.withLockedValue { $0 += 1 } }
                            seen.withLockedValue { $0[thread, default: []].append(number) }
                        }
                    }
                    for future in futures { try? await future.get() }
                }
            }
        }
        #expect(offLoop.withLockedValue { $0 } == 0)
        #expect(!loop.inEventLoop)
        seen.withLockedValue { seen in
            for thread in 0..<4 { #expect(seen[thread] == Array(0..<250)) }
        }
        try await loop.shutdownGracefully()
    }

    @Test("scheduled tasks fire in deadline order, not before their deadline; cancelled ones never")
    func scheduledTasks() async throws {
        let loop = try SocketEventLoop(name: "test-loop")
        let fired = NIOLockedValueBox<[(Int, UInt64)]>([])
        let start = EngineClock.now()
        let delays = [40, 5, 25, 5, 60, 15]
        // Scheduled and one cancelled on the loop, so that no timer can fire in between.
        let scheduled = try await loop.submit {
            let scheduled = delays.enumerated().map { number, delay in
                loop.scheduleTask(in: .milliseconds(Int64(delay))) { fired.withLockedValue { $0.append((number, EngineClock.now())) } }
            }
            scheduled[2].cancel()
            return scheduled
        }.get()
        // Cancelled from another thread, long before its deadline.
        let late = loop.scheduleTask(in: .seconds(3600)) { fired.withLockedValue { $0.append((99, EngineClock.now())) } }
        late.cancel()
        try await scheduled[4].futureResult.get()
        await #expect(throws: EventLoopError.self) { try await scheduled[2].futureResult.get() }
        await #expect(throws: EventLoopError.self) { try await late.futureResult.get() }
        let order = fired.withLockedValue { $0 }
        #expect(order.map(\.0) == [1, 3, 5, 0, 4])
        for (number, at) in order {
            #expect(at - start >= UInt64(delays[number]) * 1_000_000, "timer \(number) fired early")
        }
        try await loop.shutdownGracefully()
    }

    @Test("shutting down fails the futures of timers still waiting, and the loop's thread ends")
    func shutdownFailsWaitingTimers() async throws {
        let loop = try SocketEventLoop(name: "test-loop")
        let waiting = loop.scheduleTask(in: .seconds(3600)) { 1 }
        // Listened to before the shutdown: a loop that has ended runs nothing more.
        let outcome = NIOLockedValueBox<(any Error)?>(nil)
        waiting.futureResult.whenFailure { error in outcome.withLockedValue { $0 = error } }
        try await loop.shutdownGracefully()
        #expect(outcome.withLockedValue { $0 } is EventLoopError)
    }

    @Test("a value bound to the loop is reached on it, through NIO's own checks")
    func loopBound() async throws {
        let loop = try SocketEventLoop(name: "test-loop")
        let bound = try await loop.submit { NIOLoopBoundBox(0, eventLoop: loop) }.get()
        let total = try await loop.submit {
            for number in 1...100 { bound.value += number }
            return bound.value
        }.get()
        #expect(total == 5050)
        try await loop.shutdownGracefully()
    }
}
#endif
