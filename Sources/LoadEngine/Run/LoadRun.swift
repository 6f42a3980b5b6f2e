import Foundation
import Histogram
import NIOCore
import NIOPosix
import Observability

/// Runs a load plan: opens every connection, starts the clock, lets each worker's users send as
/// the model says, then merges the workers' histograms into one result.
public enum LoadRun {
    /// Runs `plan` to its end (or until the calling task is cancelled, which ends it early with a
    /// result marked interrupted). `progress` is called about once a second.
    public static func run(_ plan: LoadPlan, progress: (@Sendable (LiveProgress) -> Void)? = nil) async throws -> LoadResult {
        result(of: [try await record(plan, progress: progress)], plan: plan)
    }

    /// Runs this process's share of `plan` (all of it without a `shard`) and returns what it
    /// recorded, to be made into a result here or merged with other processes' shares
    /// (`result(of:plan:)`). `ready` is awaited once every connection is open and before the clock
    /// starts: a run spread over processes starts them all at one instant there.
    public static func record(
        _ plan: LoadPlan, ready: (@Sendable () async throws -> Void)? = nil, progress: (@Sendable (LiveProgress) -> Void)? = nil
    ) async throws -> WorkerRecording {
        try plan.validate()
        let users = plan.userIndices
        let threads = min(plan.threads ?? max(1, ProcessStatistics.cpuCount / 2), users.count)
        let group = try makeLoops(for: plan, threads: threads)
        do {
            let recording = try await record(plan, users: users, on: group, threads: threads, ready: ready, progress: progress)
            try await group.shutdownGracefully()
            return recording
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// One result from the recordings of a run's shares: histograms added bucket by bucket, counts
    /// summed, each second's windows combined, the slowest requests of all: exactly what one engine
    /// would have recorded for the union of their requests.
    public static func result(of recordings: [WorkerRecording], plan: LoadPlan) -> LoadResult {
        precondition(!recordings.isEmpty, "a result needs at least one recording")
        var merged = recordings[0].recorder
        for recording in recordings.dropFirst() { merged.merge(recording.recorder) }
        return makeResult(
            plan: plan, recorder: merged, seconds: SecondWindow.merged(recordings.map(\.seconds)),
            threads: recordings.reduce(0) { $0 + $1.threads }, startedAt: recordings.map(\.startedAt).min()!,
            elapsed: recordings.map(\.elapsedSeconds).max()!, interrupted: recordings.contains(where: \.interrupted),
            abortReason: recordings.lazy.compactMap(\.abortReason).first)
    }

    /// The engine's own socket loops for plain HTTP/1.1 on Linux; SwiftNIO's otherwise.
    private static func makeLoops(for plan: LoadPlan, threads: Int) throws -> any EventLoopGroup {
        #if os(Linux)
        if plan.ownSocketLoop && plan.target.scheme == .http && plan.http2Streams == nil {
            return try SocketEventLoopGroup(numberOfThreads: threads)
        }
        #endif
        return MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    private static func record(
        _ plan: LoadPlan, users: [Int], on group: any EventLoopGroup, threads: Int, ready: (@Sendable () async throws -> Void)?,
        progress: (@Sendable (LiveProgress) -> Void)?
    ) async throws -> WorkerRecording {
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(plan.target.host, port: plan.target.port)
        } catch {
            throw LoadEngineError.unreachable(target: plan.target.description, reason: "cannot resolve \(plan.target.host)")
        }
        let tls = plan.target.scheme == .https ? try TLSClient(options: plan.tls, host: plan.target.host, http2: plan.http2Streams != nil) : nil
        let coordinator = RunCoordinator(users: users.count, target: plan.target.description, eventLoop: group.next())
        // Each worker is made on its own loop and stays there: the run only reaches it through the loop.
        var made: [NIOLoopBound<Worker>] = []
        for eventLoop in group.makeIterator() {
            made.append(try await eventLoop.submit {
                NIOLoopBound(try Worker(eventLoop: eventLoop, plan: plan, address: address, tls: tls, coordinator: coordinator), eventLoop: eventLoop)
            }.get())
        }
        let workers = made
        for (number, worker) in workers.enumerated() {
            let indices = Array(stride(from: number, to: users.count, by: workers.count).map { users[$0] })
            worker.eventLoop.execute { worker.value.connectUsers(indices) }
        }
        do {
            try await coordinator.allConnected.get()
            try await ready?()
        } catch {
            // Close what did connect and let the workers go (each user holds its worker until collected).
            for worker in workers { _ = try? await worker.eventLoop.submit { worker.value.stopAll(); _ = worker.value.collect() }.get() }
            throw error
        }

        let startedAt = Date()
        let start = EngineClock.now()
        for worker in workers {
            worker.eventLoop.execute { worker.value.begin(startNanos: start) }
        }
        let watcher = (progress != nil || plan.abortCheck != nil) ? Task {
            await watch(plan.abortCheck, progress: progress, coordinator: coordinator, workers: workers, start: start)
        } : nil
        await withTaskCancellationHandler {
            try? await coordinator.allFinished.get()
        } onCancel: {
            coordinator.stop()
            for worker in workers { worker.eventLoop.execute { worker.value.stopAll() } }
        }
        let end = EngineClock.now()
        watcher?.cancel()
        // A watch in the middle of a pass finishes it before the result is made (and before the
        // loops it asks are shut down); it aborts nothing once cancelled.
        await watcher?.value

        var merged: WorkerRecorder?
        var seconds: [[SecondWindow]] = []
        for worker in workers {
            let recorder = try await worker.eventLoop.submit { worker.value.collect() }.get()
            seconds.append(recorder.seconds.closed)
            if merged == nil { merged = recorder } else { merged!.merge(recorder) }
        }
        return WorkerRecording(
            recorder: merged!, seconds: SecondWindow.merged(seconds), startedAt: startedAt, elapsedSeconds: Double(end &- start) / 1e9,
            threads: threads, interrupted: coordinator.isStopped && coordinator.abortReason == nil, abortReason: coordinator.abortReason)
    }

    private static func makeResult(
        plan: LoadPlan, recorder: WorkerRecorder, seconds: [SecondWindow], threads: Int, startedAt: Date, elapsed: Double,
        interrupted: Bool, abortReason: String?
    ) -> LoadResult {
        let elapsed = max(elapsed, 1e-9)
        let endpoints = plan.endpoints.enumerated().map { index, endpoint in
            let recorded = recorder.endpoints[index]
            let queries = recorded.queries
            return EndpointResult(
                name: endpoint.name, requests: recorded.requests, requestsPerSecond: Double(recorded.requests) / elapsed,
                latency: LatencySummary(recorded.client), uncorrectedLatency: LatencySummary(recorded.uncorrected),
                statusClasses: StatusClass.named(recorded.statusClassCounts.map { $0 > 0 ? $0 : nil }), errors: recorded.errors,
                server: ServerSideResult(
                    timedResponses: recorded.withServerTiming, app: LatencySummary(recorded.app),
                    database: LatencySummary(recorded.database), pool: LatencySummary(recorded.pool),
                    remainder: LatencySummary(recorded.remainder),
                    queriesPerRequest: queries.totalCount == 0 ? 0 : queries.mean - 1,
                    histograms: .init(
                        app: SparseHistogram(recorded.app), database: SparseHistogram(recorded.database),
                        pool: SparseHistogram(recorded.pool), remainder: SparseHistogram(recorded.remainder))),
                histograms: ClientHistograms(corrected: SparseHistogram(recorded.client), uncorrected: SparseHistogram(recorded.uncorrected)))
        }
        let errors = recorder.errors, corrected = recorder.corrected, uncorrected = recorder.uncorrected
        return LoadResult(
            target: plan.target.description, runTag: plan.runTag, openModel: plan.model.isOpen, connections: plan.model.connections,
            threads: threads, startedAt: startedAt, durationSeconds: elapsed, interrupted: interrupted, abortReason: abortReason,
            totalRequests: recorder.finished, successfulRequests: recorder.finished - errors.total,
            requestsPerSecond: Double(recorder.finished) / elapsed, errors: errors,
            latency: LatencySummary(corrected), uncorrectedLatency: LatencySummary(uncorrected),
            statusClasses: StatusClass.named(recorder.statusClasses).mapValues(LatencySummary.init), endpoints: endpoints, seconds: seconds,
            exemplars: recorder.slowest.exemplars(runTag: plan.runTag, endpointNames: plan.endpoints.map(\.name), traceContext: plan.traceContext),
            lateRequests: recorder.lateSends, worstLatenessMilliseconds: recorder.lateness.maxMilliseconds,
            unsentRequests: recorder.unsent, cutOffAtEnd: recorder.cutOffAtEnd, connectionStats: recorder.connections, rejectedServerTimings: recorder.rejectedServerTimings,
            tls: plan.target.scheme == .https ? TLSSummary(
                verificationSkipped: plan.tls.insecure, handshakes: Int(recorder.handshakes.totalCount),
                handshake: LatencySummary(recorder.handshakes), failures: recorder.tlsFailures) : nil,
            http2StreamsPerConnection: plan.http2Streams,
            engine: EngineCheck(
                intendedRate: plan.model.pacer.flatMap { pacer in
                    plan.model.plannedDuration.map { Double(pacer.requestsDue(by: $0.seconds)) / $0.seconds }
                },
                achievedRate: Double(recorder.finished) / elapsed,
                sendLateness: plan.model.isOpen ? LatencySummary(recorder.lateness) : nil,
                timerLateness: plan.model.isOpen ? LatencySummary(recorder.timerLateness) : nil,
                threadCPUPercent: recorder.threadCPUNanos.map { Double($0) / 1e9 / elapsed * 100 }, connections: plan.model.connections),
            histograms: ClientHistograms(corrected: SparseHistogram(corrected), uncorrected: SparseHistogram(uncorrected)),
            rateLimit: recorder.rateLimit.isEmpty ? nil : recorder.rateLimit,
            journeys: recorder.journeys?.summary(stepNames: plan.endpoints.map(\.name)))
    }

    /// Reads every second that is over, merged over the workers, about four times a second; hands
    /// the new ones to `progress` and everything so far to the plan's check, and stops the run when
    /// the check answers with a reason.
    private static func watch(
        _ check: (@Sendable ([SecondWindow]) -> String?)?, progress: (@Sendable (LiveProgress) -> Void)?, coordinator: RunCoordinator,
        workers: [NIOLoopBound<Worker>], start: UInt64
    ) async {
        var past: [SecondWindow] = []
        var next = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let now = EngineClock.now()
            let over = Int((now &- start) / 1_000_000_000)
            guard over > next, !Task.isCancelled else { continue }
            var merged: [Int: SecondWindow] = [:]
            for worker in workers where !Task.isCancelled {
                let from = next
                guard let windows = try? await worker.eventLoop.submit({ worker.value.seconds(from: from, before: over) }).get() else { continue }
                SecondWindow.merge(windows, into: &merged)
            }
            guard !Task.isCancelled else { return }
            let new = merged.values.sorted { $0.second < $1.second }
            next = over
            progress?(LiveProgress(
                elapsedSeconds: Double(now &- start) / 1e9, finishedRequests: coordinator.finishedRequests.load(ordering: .relaxed),
                failedRequests: coordinator.failedRequests.load(ordering: .relaxed), seconds: new))
            guard let check else { continue }
            past += new
            if let reason = check(past) {
                coordinator.abort(reason)
                for worker in workers { worker.eventLoop.execute { worker.value.stopAll() } }
                return
            }
        }
    }
}
