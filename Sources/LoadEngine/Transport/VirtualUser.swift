import NIOCore
import NIOPosix
import Observability

/// One connection and the user behind it: sends a request, reads the response, records it, and
/// decides when to send the next, all on its worker's event loop (no locks, no task hops).
///
/// Confined to one event loop; `@unchecked Sendable` only so NIO's scheduling APIs accept it.
final class VirtualUser: @unchecked Sendable {
    let index: Int
    /// Strong: a user's timer may fire after its worker's run is over; `Worker.collect()` breaks the cycle.
    private let worker: Worker
    private var channel: (any Channel)?
    private var generation = 0
    private var connecting = false
    private var initialConnect = true
    private var connectFailures = 0
    private var finished = false
    private var timer: Scheduled<Void>?

    // The request in flight.
    private(set) var waiting = false
    private(set) var sentAt: UInt64 = 0
    private var dueAt: UInt64 = 0
    private var endpoint = 0
    private var requestNumber: UInt64 = 0
    private var parser = ResponseParser()
    private var pending: ByteBuffer?

    // What comes next.
    private var sequencePosition: Int
    private var pathCursors: [Int]
    private var sent: UInt64 = 0
    private var remaining: Int
    /// Open model: the run-wide index of this connection's next scheduled request.
    private var nextScheduled: Int

    init(index: Int, worker: Worker) {
        self.index = index
        self.worker = worker
        sequencePosition = index % worker.sequence.count
        pathCursors = worker.templates.map { index % $0.count }
        remaining = worker.requestsForUser(index)
        nextScheduled = index
    }

    // MARK: Connecting

    /// First connection, before the run's clock starts; the outcome goes to the coordinator.
    func connectInitially() {
        connect()
    }

    private func connect() {
        guard !connecting, !finished else { return }
        connecting = true
        generation += 1
        let generation = self.generation
        worker.makeBootstrap(user: self, generation: generation)
            .connect(to: worker.address)
            .whenComplete { result in self.connected(result, generation: generation) }
    }

    private func connected(_ result: Result<any Channel, any Error>, generation: Int) {
        connecting = false
        switch result {
        case .success(let channel):
            guard generation == self.generation, !finished else {
                channel.close(promise: nil)
                return
            }
            self.channel = channel
            connectFailures = 0
            if initialConnect {
                initialConnect = false
                worker.coordinator.reportInitialConnect(error: nil)
            } else {
                proceed()
            }
        case .failure(let error):
            if initialConnect {
                initialConnect = false
                worker.recorder.errors.add(.connect)
                worker.coordinator.reportInitialConnect(error: error)
                return
            }
            connectFailed()
        }
    }

    /// A failed connection is a failed request for a closed-model user (it wanted to send one), and
    /// only an error for an open-model one (the scheduled request still waits, and goes late).
    private func connectFailed() {
        if worker.isOpenModel {
            worker.recorder.errors.add(.connect)
            worker.coordinator.countFinished(failed: true)
        } else {
            let now = MonotonicClock.nanoseconds()
            finishRequest(Sample(
                endpoint: worker.sequence[sequencePosition], status: 0, error: .connect, correctedMicros: 0, uncorrectedMicros: 0,
                serverTiming: nil, requestNumber: 0, finishedAt: now &- worker.startNanos))
        }
        connectFailures += 1
        let backoff = TimeAmount.milliseconds(Int64(min(1000, 25 << min(connectFailures, 6))))
        timer = worker.eventLoop.scheduleTask(in: backoff) { self.proceed() }
    }

    // MARK: Sending

    /// Sends the next request now, later, or never, as the load model says.
    func proceed() {
        timer = nil
        guard !finished else { return }
        if worker.stopping { return finish() }
        let now = MonotonicClock.nanoseconds()
        var due = now
        switch worker.schedule {
        case .requests:
            if remaining <= 0 { return finish() }
        case .until(let end, _, let ramp):
            if now >= end { return finish() }
            if let ramp, index >= ramp.users(at: Double(now &- worker.startNanos) / 1e9) {
                // Not this user's turn in the ramp yet (or any more): look again shortly.
                timer = worker.eventLoop.scheduleTask(in: .milliseconds(20)) { self.proceed() }
                return
            }
        case .open(let pacer, _, let end):
            guard let dueSeconds = pacer.dueTime(ofRequest: nextScheduled) else { return finish() }
            if now >= end { return finish() }
            due = worker.startNanos &+ UInt64(dueSeconds * 1e9)
            if due > now {
                timer = worker.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(due)) { self.proceed() }
                return
            }
        }
        guard let channel else { return connect() }
        send(on: channel, due: due, now: now)
    }

    private func send(on channel: any Channel, due: UInt64, now: UInt64) {
        endpoint = worker.sequence[sequencePosition]
        sequencePosition = (sequencePosition + 1) % worker.sequence.count
        let path = pathCursors[endpoint]
        pathCursors[endpoint] = (path + 1) % worker.templates[endpoint].count
        requestNumber = (UInt64(index) << 40) | (sent & 0xFF_FFFF_FFFF)
        sent += 1
        let bytes = worker.templates[endpoint][path].stamped(requestNumber)
        dueAt = due
        sentAt = now
        waiting = true
        if worker.isOpenModel {
            worker.recorder.recordLateness(micros: (now &- due) / 1000)
            nextScheduled += worker.connectionCount
        }
        channel.writeAndFlush(bytes, promise: nil)
    }

    // MARK: Receiving

    func received(_ buffer: inout ByteBuffer, generation: Int) {
        guard generation == self.generation else { return }
        if pending != nil {
            pending!.writeBuffer(&buffer)
            drain(&pending!)
            if pending?.readableBytes == 0 { pending = nil }
        } else {
            drain(&buffer)
            if buffer.readableBytes > 0 { pending = buffer }
        }
    }

    private func drain(_ buffer: inout ByteBuffer) {
        do {
            while buffer.readableBytes > 0, let response = try parser.parse(&buffer) {
                guard waiting else { throw ResponseParser.Failure.malformed("a response nobody asked for") }
                complete(response)
                if channel == nil { return }
            }
        } catch {
            if waiting { fail(.protocol) }
            abandonConnection()
            proceed()
        }
    }

    private func complete(_ response: ParsedResponse) {
        let now = MonotonicClock.nanoseconds()
        waiting = false
        finishRequest(Sample(
            endpoint: endpoint, status: response.status, error: ErrorKind.forStatus(response.status),
            correctedMicros: (now &- dueAt) / 1000, uncorrectedMicros: (now &- sentAt) / 1000,
            serverTiming: response.serverTiming, requestNumber: requestNumber, finishedAt: now &- worker.startNanos))
        if !response.keepAlive { abandonConnection() }
        if worker.thinkNanos > 0 && !worker.stopping {
            timer = worker.eventLoop.scheduleTask(in: .nanoseconds(Int64(worker.thinkNanos))) { self.proceed() }
        } else {
            proceed()
        }
    }

    /// The request in flight failed with `kind`.
    private func fail(_ kind: ErrorKind) {
        let now = MonotonicClock.nanoseconds()
        waiting = false
        finishRequest(Sample(
            endpoint: endpoint, status: 0, error: kind, correctedMicros: (now &- dueAt) / 1000,
            uncorrectedMicros: (now &- sentAt) / 1000, serverTiming: nil, requestNumber: requestNumber,
            finishedAt: now &- worker.startNanos))
    }

    private func finishRequest(_ sample: Sample) {
        if !worker.isOpenModel { remaining -= 1 }
        worker.record(sample)
    }

    func connectionClosed(generation: Int) {
        guard generation == self.generation else { return }
        channel = nil
        if waiting {
            if let response = parser.connectionClosed() {
                complete(response)
                return
            }
            fail(.read)
        }
        resetParser()
        if !finished && timer == nil { proceed() }
    }

    func connectionFailed(_ error: any Error, generation: Int) {
        guard generation == self.generation, waiting else { return }
        let text = String(describing: error)
        fail(text.contains("EPIPE") || text.contains("Broken pipe") || text.contains("ioOnClosedChannel") ? .write : .read)
        abandonConnection()
        proceed()
    }

    /// Called by the worker's sweeper: fails the request in flight if it is past the timeout.
    func checkTimeout(now: UInt64) {
        guard waiting, now &- sentAt > worker.timeoutNanos else { return }
        fail(.timeout)
        abandonConnection()
        proceed()
    }

    private func abandonConnection() {
        generation += 1
        channel?.close(promise: nil)
        channel = nil
        resetParser()
    }

    private func resetParser() {
        parser = ResponseParser()
        pending = nil
    }

    // MARK: Finishing

    /// Stops this user: closes its connection, counts what the schedule still owed, tells the worker.
    func finish() {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        if case .open(_, let totalDue, _) = worker.schedule, !worker.stopping {
            // Requests this connection was due to send before the end and never could.
            let owed = totalDue > nextScheduled ? (totalDue - nextScheduled + worker.connectionCount - 1) / worker.connectionCount : 0
            worker.recorder.unsent += owed
        }
        waiting = false
        abandonConnection()
        worker.userFinished()
    }
}
