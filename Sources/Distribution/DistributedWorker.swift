import Foundation
import LoadEngine
import Logging
import Observability
import PerfSuite
import Synchronization
import TargetMonitoring

/// A worker process (`archmesh worker`, a pod of the Indexed Job, or a child of `run --workers`):
/// it registers with the coordinator, then runs its share of every scenario it is given, reporting
/// each second as it ends and its whole recording at the end, until it is told there is no more.
public enum DistributedWorker {
    public struct Options: Sendable {
        /// `http://host:port` of the coordinator.
        public var coordinator: String
        public var worker: Int
        /// The scenario file, read by the worker itself (its digest must be the coordinator's).
        public var configuration: SuiteConfiguration
        /// How the worker names itself (its host name).
        public var host = ProcessInfo.processInfo.hostName
        /// How long to keep trying a coordinator that cannot be reached yet (a pod may start first).
        public var patience: Duration = .seconds(60)

        public init(coordinator: String, worker: Int, configuration: SuiteConfiguration) {
            self.coordinator = coordinator.hasSuffix("/") ? String(coordinator.dropLast()) : coordinator
            self.worker = worker
            self.configuration = configuration
        }
    }

    /// Registers and runs shares until the coordinator says there is nothing more; throws when
    /// refused or when the coordinator is gone.
    public static func run(_ options: Options, logger: Logger) async throws {
        let client = CoordinatorClient(base: options.coordinator, patience: options.patience)
        let registration = WorkerMessages.Registration(
            worker: options.worker, version: ArchMeshVersion.current, scenarioDigest: options.configuration.digest, host: options.host)
        let answer = try await client.send("/register", registration)
        if answer.status == 409 {
            let refusal = try? WorkerMessages.decoder.decode(WorkerMessages.Refusal.self, from: Data(answer.body))
            throw DistributionError.refused(refusal?.reason ?? answer.text)
        }
        guard answer.status == 204 else { throw DistributionError.coordinatorUnreachable("registration answered \(answer.status): \(answer.text)") }
        logger.info("registered", metadata: ["worker": "\(options.worker)", "coordinator": "\(options.coordinator)"])
        var last = 0
        while true {
            let assignment: WorkerMessages.Assignment = try await client.receive("/assignment?worker=\(options.worker)")
            if assignment.done { return }
            guard assignment.run > last else {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            last = assignment.run
            // A run with fewer users than workers leaves some without a share.
            guard assignment.scenario != nil else { continue }
            do {
                try await runShare(assignment, options: options, client: client, logger: logger)
            } catch let error as DistributionError {
                throw error
            } catch {
                logger.error("the share failed", metadata: ["run": "\(assignment.run)", "error": "\(error)"])
                _ = try? await client.send("/failed", WorkerMessages.Failure(worker: options.worker, run: assignment.run, reason: "\(error)"))
            }
        }
    }

    private static func runShare(_ assignment: WorkerMessages.Assignment, options: Options, client: CoordinatorClient, logger: Logger) async throws {
        let worker = options.worker, run = assignment.run
        guard let key = assignment.scenario, let scenario = options.configuration.scenarios.first(where: { $0.key == key }) else {
            throw WorkerError("this worker's scenario file has no scenario \(assignment.scenario ?? "(none)")")
        }
        guard let targetURL = assignment.target, let shard = assignment.shard else { throw WorkerError("the assignment names no target or share") }
        var plan = options.configuration.loadPlan(for: scenario, target: try LoadTarget(url: targetURL), scale: assignment.scale, runTag: assignment.runTag)
        plan.shard = shard
        plan.exemplars = assignment.exemplars
        plan.http2Streams = assignment.http2Streams
        plan.traceContext = assignment.traceContext ?? true
        if let seconds = assignment.requestTimeoutSeconds { plan.requestTimeout = .nanoseconds(Int64(seconds * 1e9)) }
        let told = StopBox()
        plan.abortCheck = { _ in told.reason }

        // Seconds go to the coordinator in order, one report at a time.
        let (reports, sink) = AsyncStream.makeStream(of: LiveProgress.self, bufferingPolicy: .unbounded)
        let poster = Task {
            for await progress in reports {
                let message = WorkerMessages.Windows(worker: worker, run: run, through: Int(progress.elapsedSeconds), seconds: progress.seconds)
                if let answer: WorkerMessages.WindowsAnswer = try? await client.exchange("/windows", message), let reason = answer.stop {
                    told.set(reason)
                }
            }
        }
        let clock = ClockBox()
        let recording: WorkerRecording
        do {
            recording = try await LoadRun.record(plan, ready: {
                let (start, offset) = try await waitForStart(client: client, worker: worker, run: run)
                // The agreed instant is on the coordinator's clock; this worker's reads `offset` more.
                let late = try await sleep(untilUnixNanoseconds: start + offset.nanoseconds)
                clock.set(Timing(startSkew: late, offset: offset))
            }, progress: { sink.yield($0) })
        } catch {
            sink.finish()
            await poster.value
            throw error
        }
        sink.finish()
        await poster.value
        let timing = clock.value
        let answer = try await client.send(
            "/result", WorkerMessages.Result(
                worker: worker, run: run, recording: recording, startSkewNanoseconds: timing.startSkew,
                clockOffsetNanoseconds: timing.offset.nanoseconds, clockUncertaintyNanoseconds: timing.offset.uncertainty))
        guard answer.status == 204 else { throw WorkerError("the coordinator did not take the recording: \(answer.status) \(answer.text)") }
        logger.info("share done", metadata: ["run": "\(run)", "requests": "\(recording.finishedRequests)"])
    }

    /// Asks until every worker is ready and the coordinator names the start; returns it, and this
    /// worker's clock's offset from the coordinator's, estimated from the quickest of the exchanges
    /// (the coordinator's clock read halfway through the round trip, give or take half of it).
    private static func waitForStart(client: CoordinatorClient, worker: Int, run: Int) async throws -> (start: Int64, offset: ClockOffset) {
        var best: ClockOffset?
        while true {
            let sent = WorkerMessages.unixNanoseconds()
            let answer = try await client.send("/ready", WorkerMessages.Ready(worker: worker, run: run))
            let received = WorkerMessages.unixNanoseconds()
            switch answer.status {
            case 200, 202:
                let start = try WorkerMessages.decoder.decode(WorkerMessages.Start.self, from: Data(answer.body))
                let estimate = ClockOffset(
                    nanoseconds: sent + (received - sent) / 2 - start.coordinatorNowUnixNanoseconds, uncertainty: (received - sent) / 2)
                if best == nil || estimate.uncertainty < best!.uncertainty { best = estimate }
                if let instant = start.startAtUnixNanoseconds { return (instant, best!) }
                try await Task.sleep(for: .milliseconds(20))
            case 410: throw WorkerError("the coordinator called the run off before its start")
            default: throw WorkerError("the coordinator answered \(answer.status) to ready: \(answer.text)")
            }
        }
    }

    /// Sleeps until the wall clock reads `instant`, the last two milliseconds by watching it; returns how late it woke (ns).
    static func sleep(untilUnixNanoseconds instant: Int64) async throws -> Int64 {
        let ahead = instant - WorkerMessages.unixNanoseconds() - 2_000_000
        if ahead > 0 { try await Task.sleep(for: .nanoseconds(ahead)) }
        while WorkerMessages.unixNanoseconds() < instant {}
        return WorkerMessages.unixNanoseconds() - instant
    }
}

struct WorkerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The coordinator's word to stop, set by the reporting task and read by the engine's watch.
private final class StopBox: Sendable {
    private let state = Mutex<String?>(nil)
    var reason: String? { state.withLock { $0 } }
    func set(_ reason: String) { state.withLock { if $0 == nil { $0 = reason } } }
}

/// This worker's clock against the coordinator's: worker minus coordinator, and the estimate's margin.
struct ClockOffset: Sendable {
    var nanoseconds: Int64
    var uncertainty: Int64
}

/// How the share's clock started: how late against the agreed instant, and the clock offset used.
private struct Timing: Sendable {
    var startSkew: Int64 = 0
    var offset = ClockOffset(nanoseconds: 0, uncertainty: 0)
}

private final class ClockBox: Sendable {
    private let state = Mutex(Timing())
    var value: Timing { state.withLock { $0 } }
    func set(_ value: Timing) { state.withLock { $0 = value } }
}

/// Requests to the coordinator, retried while it cannot be reached (up to `patience`).
struct CoordinatorClient: Sendable {
    let base: String
    let patience: Duration

    func send<Message: Encodable>(_ path: String, _ message: Message) async throws -> HTTPFetch.Response {
        let body = Array(try WorkerMessages.encoder.encode(message))
        return try await retrying { try await HTTPFetch.send("POST", base + path, headers: [("Content-Type", "application/json")], body: body, timeout: .seconds(30)) }
    }

    func exchange<Message: Encodable, Answer: Decodable>(_ path: String, _ message: Message) async throws -> Answer {
        let answer = try await send(path, message)
        return try WorkerMessages.decoder.decode(Answer.self, from: Data(answer.body))
    }

    func receive<Answer: Decodable>(_ path: String) async throws -> Answer {
        let answer = try await retrying { try await HTTPFetch.send("GET", base + path, timeout: .seconds(30)) }
        guard answer.status == 200 else { throw DistributionError.coordinatorUnreachable("\(path) answered \(answer.status): \(answer.text)") }
        return try WorkerMessages.decoder.decode(Answer.self, from: Data(answer.body))
    }

    private func retrying(_ request: () async throws -> HTTPFetch.Response) async throws -> HTTPFetch.Response {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try await request()
            } catch {
                if ContinuousClock.now >= deadline { throw DistributionError.coordinatorUnreachable("\(base): \(error)") }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
