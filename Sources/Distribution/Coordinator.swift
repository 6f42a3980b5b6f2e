import Foundation
import HTTPServing
import LoadEngine
import Logging
import Observability
import PerfSuite

/// Spreads each scenario's load over worker processes (local ones, or pods) and merges what they
/// recorded into one result, exactly. The workers register; for every scenario each takes its
/// share (the users whose index is its own modulo the number of workers), opens its connections,
/// and starts its clock at one agreed instant; it reports every second as it ends, and objectives
/// are judged once, on the merged seconds, which may stop every worker; at the end it sends its
/// whole recording. A worker that falls silent is given up: the run goes on with the others, and
/// the result says which worker, when, and what its last second held.
public final class Coordinator: LoadExecutor {
    public struct Options: Sendable {
        public var workers: Int
        /// Where the workers reach the coordinator (`0.0.0.0` in a cluster, 127.0.0.1 on one machine).
        public var host = "127.0.0.1"
        public var port = 0
        /// The scenario file's SHA-256: a worker that read another file is refused.
        public var scenarioDigest: String
        /// A worker not heard from for this long while a scenario runs is given up.
        public var silenceLimit: Duration = .seconds(5)
        /// How long to wait for every worker to register, and for every worker to get ready.
        public var gatherTimeout: Duration = .seconds(120)
        /// From the last worker's "ready" to the agreed start: time for every worker to hear it.
        public var startDelay: Duration = .milliseconds(500)

        public init(workers: Int, scenarioDigest: String) {
            self.workers = workers
            self.scenarioDigest = scenarioDigest
        }
    }

    public let options: Options
    let ledger: Ledger
    private let server: RunningServer
    private let logger: Logger

    /// The port workers reach it on.
    public var port: Int { server.port }

    private init(options: Options, ledger: Ledger, server: RunningServer, logger: Logger) {
        self.options = options
        self.ledger = ledger
        self.server = server
        self.logger = logger
    }

    /// Starts listening for workers.
    public static func start(_ options: Options, logger: Logger) async throws -> Coordinator {
        let ledger = Ledger(workers: options.workers, version: ArchMeshVersion.current, digest: options.scenarioDigest)
        let server = try await RunningServer.start(WorkerRoutes.router(ledger), host: options.host, port: options.port)
        return Coordinator(options: options, ledger: ledger, server: server, logger: logger)
    }

    /// Waits until every worker has registered; throws, naming the missing ones, after the timeout
    /// or when `abandon` says the workers cannot come any more (local processes that exited).
    public func gather(abandon: @Sendable () -> String? = { nil }) async throws {
        let deadline = ContinuousClock.now + options.gatherTimeout
        while true {
            let missing = ledger.unregistered
            if missing.isEmpty { return }
            if let reason = abandon() { throw DistributionError.workersMissing(missing, reason: reason) }
            if ContinuousClock.now >= deadline { throw DistributionError.workersMissing(missing, reason: "not registered after \(options.gatherTimeout)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Tells the workers there is nothing more to run (they exit) and stops listening once they
    /// have heard it, or after `linger`.
    public func finish(linger: Duration = .seconds(3)) async {
        ledger.finishAll()
        let deadline = ContinuousClock.now + linger
        while !ledger.everyLiveWorkerToldDone, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        await server.stop()
    }

    public func run(_ plan: LoadPlan, scenario: Scenario, scale: Double, progress: @escaping @Sendable (LiveProgress) -> Void) async throws -> LoadResult {
        let run = try ledger.begin(WorkerMessages.Assignment(
            run: 0, done: false, scenario: scenario.key, scale: scale, target: plan.target.description, runTag: plan.runTag, shard: nil,
            exemplars: plan.exemplars, http2Streams: plan.http2Streams, requestTimeoutSeconds: plan.requestTimeout.seconds,
            traceContext: plan.traceContext), users: plan.model.connections)
        // Every live worker ready (connections open), or given up.
        let readyBy = ContinuousClock.now + options.gatherTimeout
        while !ledger.everyLiveWorkerReady(run) {
            if Task.isCancelled {
                ledger.callOff(run)
                throw CancellationError()
            }
            if ContinuousClock.now >= readyBy { ledger.loseUnready(run, reason: "not ready after \(options.gatherTimeout)") }
            await Self.pause(.milliseconds(20))
        }
        guard ledger.liveWorkers(run) > 0 else { throw DistributionError.noWorkerLeft(ledger.lossReasons(run)) }
        let startAt = WorkerMessages.unixNanoseconds() + Int64(options.startDelay.seconds * 1e9)
        ledger.start(run, at: startAt)

        var handed = 0
        var past: [SecondWindow] = []
        var finished = 0, failed = 0
        while !ledger.everyLiveWorkerDone(run) {
            // Cancelled (Ctrl-C): the workers are told to stop and still send what they recorded,
            // so the pause must not end early with the task.
            if Task.isCancelled { ledger.stop(run, reason: nil) }
            await Self.pause(.milliseconds(100))
            ledger.reject(run) { $0.recording.mismatch(with: plan) }
            ledger.loseSilent(run, after: options.silenceLimit, startAt: startAt)
            let (through, windows) = ledger.mergedSeconds(run, from: handed)
            guard through > handed else { continue }
            handed = through
            finished += windows.reduce(0) { $0 + $1.requests }
            failed += windows.reduce(0) { $0 + $1.errors }
            progress(LiveProgress(
                elapsedSeconds: Double(WorkerMessages.unixNanoseconds() - startAt) / 1e9, finishedRequests: finished, failedRequests: failed,
                seconds: windows))
            guard let check = plan.abortCheck else { continue }
            past += windows
            if let reason = check(past) { ledger.stop(run, reason: reason) }
        }
        ledger.reject(run) { $0.recording.mismatch(with: plan) }
        let outcome = ledger.outcome(run)
        guard !outcome.results.isEmpty else { throw DistributionError.noWorkerLeft(ledger.lossReasons(run)) }
        let merging = ContinuousClock.now
        var result = LoadRun.result(of: outcome.results.map(\.recording), plan: plan)
        let mergeSeconds = (ContinuousClock.now - merging).seconds
        // The coordinator's word, not the workers' (who were told "interrupted" when it was cancelled).
        result.abortReason = outcome.stopReason
        if outcome.cancelled { result.interrupted = true }
        result.distribution = DistributionSummary(
            workers: outcome.shares, startOffsetsMilliseconds: outcome.startOffsetsMilliseconds,
            clockOffsetsMilliseconds: outcome.clockOffsetsMilliseconds, clockUncertaintyMilliseconds: outcome.clockUncertaintyMilliseconds,
            partial: !outcome.lost.isEmpty,
            lost: outcome.lost, repeatedWindowsIgnored: outcome.repeatedWindows, mergeMilliseconds: mergeSeconds * 1000)
        if !outcome.lost.isEmpty {
            logger.warning("workers lost during the run", metadata: ["scenario": "\(scenario.key)", "lost": "\(outcome.lost.map(\.worker))"])
        }
        return result
    }
}

extension Coordinator {
    /// A pause that a cancelled task also takes (`Task.sleep` would return at once).
    static func pause(_ duration: Duration) async {
        _ = try? await Task.detached { try await Task.sleep(for: duration) }.value
    }
}

public enum DistributionError: Error, CustomStringConvertible {
    case workersMissing([Int], reason: String)
    case noWorkerLeft([String])
    case refused(String)
    case coordinatorUnreachable(String)

    public var description: String {
        switch self {
        case .workersMissing(let workers, let reason): return "workers \(workers.map(String.init).joined(separator: ", ")) did not register: \(reason)"
        case .noWorkerLeft(let reasons): return "no worker is left to run the load" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; "))
        case .refused(let reason): return "the coordinator refused this worker: \(reason)"
        case .coordinatorUnreachable(let reason): return "the coordinator cannot be reached: \(reason)"
        }
    }
}
