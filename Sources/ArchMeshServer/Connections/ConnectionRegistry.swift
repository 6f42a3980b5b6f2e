import Logging
import NIOCore
import Observability
import ServiceLifecycle
import Synchronization

/// Every open connection of the server, so that the limits hold: a sweeper closes connections past
/// their deadline, and a connection beyond the maximum takes the place of the one idle longest.
/// The decisions (`overdue`, `admit`) are pure over explicit times; the sweeper is a service of
/// the application's ServiceGroup.
final class ConnectionRegistry: Service, Sendable {
    let limits: ConnectionLimits
    private let open = Mutex<[ObjectIdentifier: ConnectionState]>([:])
    private let idleTimeout: UInt64, headerTimeout: UInt64, bodyTimeout: UInt64
    let metrics: ServerMetrics?

    init(limits: ConnectionLimits, metrics: ServerMetrics? = nil) {
        self.limits = limits
        self.metrics = metrics
        idleTimeout = limits.idleTimeout.nanoseconds
        headerTimeout = limits.headerTimeout.nanoseconds
        bodyTimeout = limits.bodyTimeout.nanoseconds
    }

    /// What happens to a new connection.
    enum Admission {
        case admitted
        /// Admitted in place of this idle connection, which must be closed.
        case admittedEvicting(ConnectionState)
        /// At the maximum with none idle: answered 503 and closed.
        case refused
    }

    var count: Int { open.withLock { $0.count } }

    func admit(_ state: ConnectionState) -> Admission {
        open.withLock { open -> Admission in
            guard open.count >= limits.maximumConnections else {
                open[ObjectIdentifier(state.channel)] = state
                return .admitted
            }
            let idlest = open.values.filter { $0.phase == .idle }.min { $0.since < $1.since }
            guard let idlest else { return .refused }
            open[ObjectIdentifier(idlest.channel)] = nil
            open[ObjectIdentifier(state.channel)] = state
            return .admittedEvicting(idlest)
        }
    }

    func state(of channel: any Channel) -> ConnectionState? {
        open.withLock { $0[ObjectIdentifier(channel)] }
    }

    func remove(_ channel: any Channel) {
        _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Connections past their deadline at `now`, with the phase they were stuck in.
    func overdue(now: UInt64) -> [(state: ConnectionState, phase: ConnectionState.Phase)] {
        open.withLock { open in
            open.values.compactMap { state in
                let phase = state.phase
                let limit: UInt64
                switch phase {
                case .idle: limit = idleTimeout
                case .readingHead: limit = headerTimeout
                case .readingBody: limit = bodyTimeout
                case .answering: return nil  // the handler's own limits apply (the database's acquire timeout)
                }
                return now > state.since && now &- state.since > limit ? (state, phase) : nil
            }
        }
    }

    /// Closes overdue connections four times a second until the server shuts down: idle ones
    /// quietly, half-received requests with a 408.
    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(250))
            for (state, phase) in overdue(now: MonotonicClock.nanoseconds()) {
                remove(state.channel)
                if phase == .idle {
                    state.channel.close(promise: nil)
                } else {
                    metrics?.recordRequestTimeout()
                    state.channel.pipeline.fireUserInboundEventTriggered(ConnectionGuard.RequestTimedOut())
                }
            }
        }
    }
}
