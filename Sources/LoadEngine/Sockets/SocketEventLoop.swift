#if os(Linux)
import CSocketEvents
import Foundation
import Glibc
import NIOCore
import Synchronization

/// An event loop of the engine's own, for plain HTTP/1.1: one thread, one epoll set, non-blocking
/// sockets read straight into each connection's buffer. It exists for speed: SwiftNIO's channel
/// pipeline costs a load generator more CPU per request than the request's own system calls
/// (measured in `benchmarks/load-engine.sh`), and the engine's CPU is taken from the server it
/// measures when both share a machine.
///
/// It is a whole `EventLoop` (tasks, timers with nanosecond deadlines through `epoll_pwait2`,
/// futures), so the worker and its users run on it unchanged; only their sockets differ
/// (`SocketConnection` instead of a channel). TLS and HTTP/2 stay on SwiftNIO's loops.
///
/// `@unchecked Sendable` as every event loop is: what other threads touch (the task queue) is under
/// a lock; everything else belongs to the loop's thread, which `inEventLoop` names. As with
/// SwiftNIO's loops, a task given to a loop that has shut down is not run.
final class SocketEventLoop: EventLoop, @unchecked Sendable {
    private let epoll: Int32
    /// An eventfd that wakes the loop when another thread queues a task.
    private let wakeup: Int32
    private let queued = Mutex<[@Sendable () -> Void]>([])
    private let hasQueued = Atomic<Bool>(false)
    private nonisolated(unsafe) var threadID = pthread_t()
    private let finished = DispatchSemaphore(value: 0)
    private let shutdownStarted = Atomic<Bool>(false)

    // The loop thread's own.
    /// Each timer's work is told whether it fires (true) or the loop shuts down first (false).
    private var timers = TimerQueue<(_ fires: Bool) -> Void>()
    /// Work of the loop's own for its next turn (a connection's outcome that must not be told
    /// inside the call that caused it).
    private var soon: [() -> Void] = []
    /// The registered sockets by descriptor, each with the registration number its events carry.
    private var slots: [(registration: UInt32, connection: SocketConnection)?] = []
    private var registrations: UInt32 = 0
    private var running = true
    /// Where every connection of this loop reads; a connection keeps bytes of its own only while
    /// a response has arrived in part.
    var readBuffer = ByteBufferAllocator().buffer(capacity: 64 * 1024)

    init(name: String) throws {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw IOError(errnoCode: errno, reason: "epoll_create1") }
        wakeup = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeup >= 0 else {
            let code = errno
            Glibc.close(epoll)
            throw IOError(errnoCode: code, reason: "eventfd")
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = UInt64(UInt32.max)
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event) == 0 else {
            let code = errno
            Glibc.close(epoll)
            Glibc.close(wakeup)
            throw IOError(errnoCode: code, reason: "epoll_ctl")
        }
        let started = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            threadID = pthread_self()
            started.signal()
            run()
        }
        thread.name = name
        thread.start()
        started.wait()
    }

    // MARK: EventLoop

    var inEventLoop: Bool { pthread_equal(pthread_self(), threadID) != 0 }

    func execute(_ task: @escaping @Sendable () -> Void) {
        queued.withLock { $0.append(task) }
        hasQueued.store(true, ordering: .releasing)
        if !inEventLoop {
            var one: UInt64 = 1
            _ = write(wakeup, &one, 8)
        }
    }

    func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise: EventLoopPromise<T> = makePromise()
        let handle = TimerHandle()
        let schedule: @Sendable () -> Void = { [self] in
            guard !handle.cancelledEarly else { return }
            handle.sequence = timers.schedule(at: deadline.uptimeNanoseconds) { fires in
                guard fires else { return promise.fail(EventLoopError.shutdown) }
                do {
                    promise.assumeIsolatedUnsafeUnchecked().succeed(try task())
                } catch {
                    promise.fail(error)
                }
            }
        }
        if inEventLoop { schedule() } else { execute(schedule) }
        return Scheduled(promise: promise) { [self] in
            let cancel: @Sendable () -> Void = { [self] in
                if let sequence = handle.sequence { timers.cancel(sequence) } else { handle.cancelledEarly = true }
            }
            if inEventLoop { cancel() } else { execute(cancel) }
        }
    }

    func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        guard !shutdownStarted.exchange(true, ordering: .acquiringAndReleasing) else {
            return queue.async { callback(EventLoopError.shutdown) }
        }
        execute { [self] in running = false }
        DispatchQueue.global().async { [self] in
            finished.wait()
            queue.async { callback(nil) }
        }
    }

    // MARK: For the loop's sockets (on the loop only)

    /// Runs `body` on the loop's next turn.
    func soon(_ body: @escaping () -> Void) {
        soon.append(body)
    }

    /// Runs `body` at `deadline` (engine clock nanoseconds); the number returned cancels it.
    func at(_ deadline: UInt64, _ body: @escaping () -> Void) -> UInt64 {
        timers.schedule(at: deadline) { fires in if fires { body() } }
    }

    func cancelTimer(_ sequence: UInt64) {
        timers.cancel(sequence)
    }

    /// Watches `fd` for `events` and hands them to `connection` until `deregister`.
    func register(_ connection: SocketConnection, fd: Int32, events: UInt32) -> Int32 {
        registrations &+= 1
        if registrations == UInt32.max { registrations = 1 }
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(registrations) << 32 | UInt64(UInt32(bitPattern: fd))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { return errno }
        let index = Int(fd)
        if slots.count <= index { slots.append(contentsOf: repeatElement(nil, count: index + 1 - slots.count)) }
        slots[index] = (registrations, connection)
        return 0
    }

    func modify(fd: Int32, events: UInt32) {
        guard let slot = slots[Int(fd)] else { return }
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(slot.registration) << 32 | UInt64(UInt32(bitPattern: fd))
        _ = epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)
    }

    /// Stops watching `fd` (before it is closed: a closed descriptor's number may come back at once).
    func deregister(fd: Int32) {
        guard Int(fd) < slots.count, slots[Int(fd)] != nil else { return }
        slots[Int(fd)] = nil
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
    }

    // MARK: The loop

    private func run() {
        let capacity = 512
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while running {
            // Wait for the sockets until the next timer (nanosecond deadlines), not at all when
            // work is waiting, or until woken when there is nothing else.
            var waitNanoseconds: UInt64?
            if !soon.isEmpty || hasQueued.load(ordering: .acquiring) {
                waitNanoseconds = 0
            } else if let next = timers.nextDeadline {
                let now = EngineClock.now()
                waitNanoseconds = next > now ? next - now : 0
            }
            let count: Int32
            if let waitNanoseconds {
                var wait = timespec(tv_sec: Int(waitNanoseconds / 1_000_000_000), tv_nsec: Int(waitNanoseconds % 1_000_000_000))
                count = epoll_pwait2(epoll, events, Int32(capacity), &wait, nil)
            } else {
                count = epoll_pwait2(epoll, events, Int32(capacity), nil, nil)
            }
            if count > 0 {
                for index in 0..<Int(count) { dispatch(events[index]) }
            }
            runDueTimers()
            runSoon()
            runQueued()
        }
        closeEverything()
        finished.signal()
    }

    private func dispatch(_ event: epoll_event) {
        let data = event.data.u64
        if data == UInt64(UInt32.max) {
            var value: UInt64 = 0
            _ = read(wakeup, &value, 8)
            return
        }
        let fd = Int(UInt32(truncatingIfNeeded: data))
        guard fd < slots.count, let slot = slots[fd], slot.registration == UInt32(truncatingIfNeeded: data >> 32) else { return }
        slot.connection.handle(events: event.events)
    }

    private func runDueTimers() {
        guard timers.nextDeadline != nil else { return }
        let now = EngineClock.now()
        while let body = timers.popDue(now: now) { body(true) }
    }

    private func runSoon() {
        while !soon.isEmpty {
            let work = soon
            soon.removeAll()
            for body in work { body() }
        }
    }

    private func runQueued() {
        guard hasQueued.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let tasks = queued.withLock { tasks in
            let taken = tasks
            tasks.removeAll()
            return taken
        }
        for task in tasks { task() }
    }

    /// The loop is shutting down: open connections are closed (their users are gone), and timers
    /// still waiting fail their futures as NIO's loops do.
    private func closeEverything() {
        for case let slot? in slots { slot.connection.close() }
        slots.removeAll()
        for body in timers.removeAll() { body(false) }
        runQueued()
        Glibc.close(wakeup)
        Glibc.close(epoll)
    }
}

/// A timer's number once the loop has it; a cancel that comes first is remembered.
private final class TimerHandle: @unchecked Sendable {
    var sequence: UInt64?
    var cancelledEarly = false
}

/// The socket loops of one run, one thread each.
final class SocketEventLoopGroup: EventLoopGroup, @unchecked Sendable {
    private let loops: [SocketEventLoop]
    private let cursor = Atomic<Int>(0)

    init(numberOfThreads: Int) throws {
        loops = try (0..<numberOfThreads).map { try SocketEventLoop(name: "archmesh-load-\($0)") }
    }

    func next() -> any EventLoop {
        loops[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    func any() -> any EventLoop { next() }

    func makeIterator() -> EventLoopIterator { EventLoopIterator(loops) }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        let group = DispatchGroup()
        for loop in loops {
            group.enter()
            loop.shutdownGracefully(queue: queue) { _ in group.leave() }
        }
        group.notify(queue: queue) { callback(nil) }
    }
}
#endif
