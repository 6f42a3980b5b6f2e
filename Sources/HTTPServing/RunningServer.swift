import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A Hummingbird router served in the background for as long as a command needs it (the live
/// dashboard, a distributed run's coordinator): started on a host and port (0: any free one), the
/// bound port known once it listens, stopped gracefully on demand.
public final class RunningServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, Never>

    private init(port: Int, group: ServiceGroup, running: Task<Void, Never>) {
        self.port = port
        self.group = group
        self.running = running
    }

    /// Serves `router` on `host`:`port`; throws when it cannot listen there.
    public static func start(_ router: Router<BasicRequestContext>, host: String, port: Int) async throws -> RunningServer {
        var logger = Logger(label: "archmesh.http")
        logger.logLevel = .critical
        let listening = ListeningSignal()
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in listening.resume(.success(channel.localAddress?.port ?? port)) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task {
            do {
                try await group.run()
                listening.resume(.failure(ServingError.stoppedBeforeListening))
            } catch {
                listening.resume(.failure(error))
            }
        }
        do {
            return RunningServer(port: try await listening.value, group: group, running: running)
        } catch {
            await group.triggerGracefulShutdown()
            await running.value
            throw ServingError.cannotListen(host: host, port: port, reason: "\(error)")
        }
    }

    /// Stops serving and waits until it has.
    public func stop() async {
        await group.triggerGracefulShutdown()
        await running.value
    }
}

public enum ServingError: Error, CustomStringConvertible {
    case cannotListen(host: String, port: Int, reason: String)
    case stoppedBeforeListening

    public var description: String {
        switch self {
        case .cannotListen(let host, let port, let reason): return "cannot listen on \(host):\(port): \(reason)"
        case .stoppedBeforeListening: return "the server stopped before it listened"
        }
    }
}

/// The port the server bound, or why it could not: given once, awaited once.
private final class ListeningSignal: Sendable {
    private let state = Mutex<(result: Result<Int, any Error>?, waiter: CheckedContinuation<Int, any Error>?)>((nil, nil))

    func resume(_ result: Result<Int, any Error>) {
        let waiter: CheckedContinuation<Int, any Error>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    var value: Int {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<Int, any Error>? = state.withLock { state in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}
