import Foundation
import LoadEngine
import Synchronization

/// The coordinator's bookkeeping, shared by its HTTP routes (what workers say) and its run loop
/// (what it decides): who registered, who is lost, the current scenario, and each worker's
/// seconds, start and recording.
final class Ledger: Sendable {
    private struct Shared {
        let workers: Int
        let version: String
        let digest: String
        var registered: [Int: String] = [:]
        /// Workers given up, for the rest of the command, with why.
        var gone: [Int: String] = [:]
        var finished = false
        var toldDone: Set<Int> = []
        var runs = 0
        var assignment: WorkerMessages.Assignment?
        /// The current run's share of each worker that takes part in it.
        var shares: [Int: Int] = [:]
        var current: RunState?
        /// The last run's outcome, kept until the next run begins.
        var last: Outcome?
    }

    private struct RunState {
        var id: Int
        var ready: Set<Int> = []
        var startAt: Int64?
        var windows: [Int: [Int: SecondWindow]] = [:]
        var through: [Int: Int] = [:]
        var lastHeard: [Int: ContinuousClock.Instant] = [:]
        var results: [Int: WorkerMessages.Result] = [:]
        var lost: [Int: LostWorker] = [:]
        var stopReason: String?
        var cancelled = false
        /// Cancelled before the start: workers waiting for it are told the run is off.
        var calledOff = false
        var repeated = 0
    }

    /// What a run came to: the recordings of the workers that finished, and those that did not.
    struct Outcome: Sendable {
        var results: [WorkerMessages.Result]
        var lost: [LostWorker]
        var shares: Int
        var startOffsetsMilliseconds: [Double?]
        var clockOffsetsMilliseconds: [Double?]
        var clockUncertaintyMilliseconds: Double
        var stopReason: String?
        var cancelled: Bool
        var repeatedWindows: Int
    }

    private let shared: Mutex<Shared>

    init(workers: Int, version: String, digest: String) {
        shared = Mutex(Shared(workers: workers, version: version, digest: digest))
    }

    // MARK: What workers say

    /// Nil when the worker is taken in; otherwise why not.
    func register(_ registration: WorkerMessages.Registration) -> String? {
        shared.withLock { shared in
            guard (0..<shared.workers).contains(registration.worker) else {
                return "worker \(registration.worker) does not exist: this run has workers 0 to \(shared.workers - 1)"
            }
            guard registration.version == shared.version else {
                return "worker \(registration.worker) runs archmesh \(registration.version), the coordinator \(shared.version)"
            }
            guard registration.scenarioDigest == shared.digest else {
                return "worker \(registration.worker) read a scenario file with SHA-256 \(registration.scenarioDigest), the coordinator's is \(shared.digest)"
            }
            if let host = shared.registered[registration.worker] {
                return "worker \(registration.worker) is already registered (from \(host))"
            }
            shared.registered[registration.worker] = registration.host
            return nil
        }
    }

    func assignment(for worker: Int) -> WorkerMessages.Assignment {
        shared.withLock { shared in
            if shared.finished || shared.gone[worker] != nil {
                shared.toldDone.insert(worker)
                return WorkerMessages.Assignment(run: shared.runs, done: true, scale: 1, exemplars: 0)
            }
            // Between runs, or a run without a share for this worker: nothing to do (no scenario).
            guard var assignment = shared.assignment, let share = shared.shares[worker] else {
                return WorkerMessages.Assignment(run: shared.runs, done: false, scale: 1, exemplars: 0)
            }
            assignment.shard = LoadPlan.Shard(index: share, count: shared.shares.count)
            return assignment
        }
    }

    enum Readiness: Equatable {
        case wait
        case start(Int64)
        /// The run is off (called off before its start, or over, or the worker was given up).
        case off
    }

    /// The agreed start once every worker is ready.
    func ready(_ ready: WorkerMessages.Ready) -> Readiness {
        shared.withLock { shared in
            guard var run = shared.current, run.id == ready.run, !run.calledOff, shared.shares[ready.worker] != nil, run.lost[ready.worker] == nil
            else { return .off }
            run.ready.insert(ready.worker)
            run.lastHeard[ready.worker] = .now
            shared.current = run
            return run.startAt.map(Readiness.start) ?? .wait
        }
    }

    /// Keeps each second a worker reports once; says whether to stop.
    func windows(_ report: WorkerMessages.Windows) -> String? {
        shared.withLock { shared in
            guard var run = shared.current, run.id == report.run, shared.shares[report.worker] != nil, run.lost[report.worker] == nil else { return nil }
            run.lastHeard[report.worker] = .now
            var kept = run.windows[report.worker] ?? [:]
            for window in report.seconds {
                if kept[window.second] != nil { run.repeated += 1 } else { kept[window.second] = window }
            }
            run.windows[report.worker] = kept
            run.through[report.worker] = max(run.through[report.worker] ?? 0, report.through)
            shared.current = run
            return run.stopReason ?? (run.cancelled ? "the run was interrupted" : nil)
        }
    }

    func result(_ result: WorkerMessages.Result) {
        shared.withLock { shared in
            guard var run = shared.current, run.id == result.run, shared.shares[result.worker] != nil, run.lost[result.worker] == nil,
                run.results[result.worker] == nil
            else { return }
            run.results[result.worker] = result
            run.lastHeard[result.worker] = .now
            shared.current = run
        }
    }

    func failure(_ failure: WorkerMessages.Failure) {
        shared.withLock { shared in
            guard shared.current?.id == failure.run else { return }
            Self.lose(failure.worker, reason: "its share failed: \(failure.reason)", in: &shared)
        }
    }

    // MARK: What the coordinator decides

    var unregistered: [Int] {
        shared.withLock { shared in (0..<shared.workers).filter { shared.registered[$0] == nil } }
    }

    /// A new run, a share for each worker still taking part, but never more shares than `users`
    /// (a worker without a share sits this run out); its number.
    func begin(_ template: WorkerMessages.Assignment, users: Int) throws -> Int {
        try shared.withLock { shared in
            let live = Array(shared.registered.keys.filter { shared.gone[$0] == nil }.sorted().prefix(max(1, users)))
            guard !live.isEmpty else { throw DistributionError.noWorkerLeft(shared.gone.sorted { $0.key < $1.key }.map { "worker \($0.key): \($0.value)" }) }
            shared.runs += 1
            var assignment = template
            assignment.run = shared.runs
            shared.assignment = assignment
            shared.shares = Dictionary(uniqueKeysWithValues: live.enumerated().map { ($1, $0) })
            var run = RunState(id: shared.runs)
            for worker in live { run.lastHeard[worker] = .now }
            shared.current = run
            return shared.runs
        }
    }

    func everyLiveWorkerReady(_ id: Int) -> Bool {
        shared.withLock { shared in
            guard let run = shared.current, run.id == id else { return true }
            return Self.live(shared).allSatisfy(run.ready.contains)
        }
    }

    func loseUnready(_ id: Int, reason: String) {
        shared.withLock { shared in
            guard let run = shared.current, run.id == id else { return }
            for worker in Self.live(shared) where !run.ready.contains(worker) { Self.lose(worker, reason: reason, in: &shared) }
        }
    }

    func liveWorkers(_ id: Int) -> Int {
        shared.withLock { shared in shared.current?.id == id ? Self.live(shared).count : 0 }
    }

    func start(_ id: Int, at instant: Int64) {
        shared.withLock { shared in
            guard shared.current?.id == id else { return }
            shared.current!.startAt = instant
            for worker in Self.live(shared) { shared.current!.lastHeard[worker] = .now }
        }
    }

    /// Gives up the workers not heard from for `limit` that have not sent their recording.
    func loseSilent(_ id: Int, after limit: Duration, startAt: Int64) {
        shared.withLock { shared in
            guard let run = shared.current, run.id == id else { return }
            let now = ContinuousClock.now
            for worker in Self.live(shared) where run.results[worker] == nil {
                if let heard = run.lastHeard[worker], now - heard > limit {
                    Self.lose(worker, reason: "no report for \(limit)", in: &shared)
                }
            }
        }
    }

    /// The seconds from `from` that every live worker has reported (or finished), each merged over
    /// the workers; and the first second not yet whole.
    func mergedSeconds(_ id: Int, from: Int) -> (through: Int, windows: [SecondWindow]) {
        shared.withLock { shared in
            guard let run = shared.current, run.id == id else { return (from, []) }
            let live = Self.live(shared)
            let pending = live.filter { run.results[$0] == nil }
            let through = pending.isEmpty
                ? (live.compactMap { run.windows[$0]?.keys.max() }.max().map { $0 + 1 } ?? from)
                : pending.map { run.through[$0] ?? 0 }.min()!
            guard through > from else { return (from, []) }
            let windows = live.map { (run.windows[$0] ?? [:]).values.filter { $0.second >= from && $0.second < through } }
            return (through, SecondWindow.merged(windows))
        }
    }

    func everyLiveWorkerDone(_ id: Int) -> Bool {
        shared.withLock { shared in
            guard let run = shared.current, run.id == id else { return true }
            return Self.live(shared).allSatisfy { run.results[$0] != nil }
        }
    }

    /// Cancelled before the start: the workers waiting for it are told the run is off.
    func callOff(_ id: Int) {
        shared.withLock { shared in
            guard shared.current?.id == id else { return }
            shared.current!.calledOff = true
            shared.assignment = nil
        }
    }

    /// Gives up the workers whose recording `mismatch` finds wrong (a recording is data from the
    /// network: it must fit the plan before it is merged).
    func reject(_ id: Int, _ mismatch: (WorkerMessages.Result) -> String?) {
        shared.withLock { shared in
            guard let run = shared.current, run.id == id else { return }
            for (worker, result) in run.results {
                guard let reason = mismatch(result) else { continue }
                shared.current!.results[worker] = nil
                Self.lose(worker, reason: "its recording does not fit the plan: \(reason)", in: &shared)
            }
        }
    }

    /// Asks every worker to stop: for `reason` (an objective broken), or, without one, because the run was interrupted.
    func stop(_ id: Int, reason: String?) {
        shared.withLock { shared in
            guard shared.current?.id == id else { return }
            if let reason { shared.current!.stopReason = shared.current!.stopReason ?? reason } else { shared.current!.cancelled = true }
        }
    }

    func outcome(_ id: Int) -> Outcome {
        shared.withLock { shared in
            let run = shared.current!
            let live = Self.live(shared)
            var offsets = [Double?](repeating: nil, count: shared.workers)
            var clocks = [Double?](repeating: nil, count: shared.workers)
            for (worker, result) in run.results {
                offsets[worker] = Double(result.startSkewNanoseconds) / 1e6
                clocks[worker] = Double(result.clockOffsetNanoseconds) / 1e6
            }
            let uncertainty = run.results.values.map { Double($0.clockUncertaintyNanoseconds) / 1e6 }.max() ?? 0
            let shares = shared.shares.count
            shared.assignment = nil
            shared.shares = [:]
            let outcome = Outcome(
                results: live.compactMap { run.results[$0] }, lost: run.lost.values.sorted { $0.worker < $1.worker }, shares: shares,
                startOffsetsMilliseconds: offsets, clockOffsetsMilliseconds: clocks, clockUncertaintyMilliseconds: uncertainty, stopReason: run.stopReason, cancelled: run.cancelled, repeatedWindows: run.repeated)
            shared.last = outcome
            return outcome
        }
    }

    /// The last run's outcome (what each worker recorded), until the next run begins.
    var lastOutcome: Outcome? { shared.withLock { $0.last } }

    func lossReasons(_ id: Int) -> [String] {
        shared.withLock { shared in (shared.current?.lost.values.sorted { $0.worker < $1.worker } ?? []).map { "worker \($0.worker): \($0.reason)" } }
    }

    func finishAll() {
        shared.withLock { $0.finished = true }
    }

    var everyLiveWorkerToldDone: Bool {
        shared.withLock { shared in shared.registered.keys.filter { shared.gone[$0] == nil }.allSatisfy(shared.toldDone.contains) }
    }

    /// The workers taking part in the current run and not lost.
    private static func live(_ shared: Shared) -> [Int] {
        shared.shares.keys.filter { shared.current?.lost[$0] == nil }.sorted()
    }

    private static func lose(_ worker: Int, reason: String, in shared: inout Shared) {
        guard var run = shared.current, shared.shares[worker] != nil, run.lost[worker] == nil, run.results[worker] == nil else { return }
        let at = run.startAt.map { Double(WorkerMessages.unixNanoseconds() - $0) / 1e9 } ?? 0
        run.lost[worker] = LostWorker(worker: worker, atSecond: at, reason: reason, lastWindow: run.windows[worker]?.values.max { $0.second < $1.second })
        shared.current = run
        shared.gone[worker] = reason
    }
}
