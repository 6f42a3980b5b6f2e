import Foundation
import Observability
import Synchronization

/// The server's fault switchboard: current settings, the memory leaked so far and the stall window.
/// It exists only when the server was started with `--enable-faults`.
public final class FaultInjector: Sendable {
    private struct State {
        var settings = FaultSettings()
        var stallStart: UInt64 = 0
        var stallEnd: UInt64 = 0
        var leaked: [[UInt8]] = []
        var leakedBytes = 0
    }

    /// The secret a client must send in `X-Fault-Token` to change anything.
    let token: String
    private let state = Mutex(State())

    public init(token: String) {
        self.token = token
    }

    /// Fewest characters a fault token may have, wherever it comes from.
    public static let minimumTokenLength = 16

    /// Refuses a token too short to be a secret (an empty `ARCHMESH_FAULT_TOKEN` included), naming its source.
    public static func validate(token: String, source: String) throws {
        guard token.count >= minimumTokenLength else {
            throw FaultTokenError(message: "\(source) must be at least \(minimumTokenLength) characters, got \(token.count)")
        }
    }

    var settings: FaultSettings { state.withLock { $0.settings } }
    var leakedBytes: Int { state.withLock { $0.leakedBytes } }

    /// Replaces the settings; a stall in them is scheduled from now.
    func apply(_ settings: FaultSettings) {
        let now = MonotonicClock.nanoseconds()
        state.withLock { state in
            state.settings = settings
            state.stallStart = settings.stallMs > 0 ? now + UInt64(settings.stallAfterMs * 1e6) : 0
            state.stallEnd = settings.stallMs > 0 ? state.stallStart + UInt64(settings.stallMs * 1e6) : 0
        }
    }

    /// Clears every fault and frees the leaked memory.
    func clear() {
        state.withLock { $0 = State() }
    }

    /// What to do to a request for `path` arriving now: nil when no fault applies to it.
    func plan(for path: String) -> FaultPlan? {
        let now = MonotonicClock.nanoseconds()
        return state.withLock { state -> FaultPlan? in
            let settings = state.settings
            guard path.hasPrefix(settings.pathPrefix) else { return nil }
            var plan = FaultPlan()
            if now >= state.stallStart && now < state.stallEnd { plan.waitUntil = state.stallEnd }
            plan.latencyMs = settings.latencyMs
            plan.slowdownPercent = settings.slowdownPercent
            plan.cpuMs = settings.cpuMs
            plan.slowQueryMs = settings.slowQueryMs
            plan.fail = settings.errorRate > 0 && Double.random(in: 0..<1) < settings.errorRate
            if settings.leakBytesPerRequest > 0 {
                // Written, not just reserved, so that the pages count in resident memory.
                state.leaked.append([UInt8](repeating: 0xA5, count: settings.leakBytesPerRequest))
                state.leakedBytes += settings.leakBytesPerRequest
            }
            return plan.isEmpty ? nil : plan
        }
    }
}

/// The faults one request gets.
struct FaultPlan {
    var waitUntil: UInt64 = 0
    var latencyMs: Double = 0
    var slowdownPercent: Double = 0
    var cpuMs: Double = 0
    var slowQueryMs: Double = 0
    var fail = false

    var isEmpty: Bool { waitUntil == 0 && latencyMs == 0 && slowdownPercent == 0 && cpuMs == 0 && slowQueryMs == 0 && !fail }
}

/// A fault token that cannot guard anything.
public struct FaultTokenError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
