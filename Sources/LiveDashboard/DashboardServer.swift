import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Serves a command's dashboard on loopback: the page at `/`, its state as JSON at `/state`, and the
/// final report at `/report` once the command is over. Everything the page needs comes from here.
public final class DashboardServer: Sendable {
    /// The port it listens on (the one asked for, or the one the system gave for 0).
    public let port: Int
    private let group: ServiceGroup
    private let running: Task<Void, Never>
    private let visits: Visits

    public var url: String { "http://127.0.0.1:\(port)/" }

    private init(port: Int, group: ServiceGroup, running: Task<Void, Never>, visits: Visits) {
        self.port = port
        self.group = group
        self.running = running
        self.visits = visits
    }

    /// Starts serving `feed` on 127.0.0.1:`port` (0: any free port); throws when it cannot listen.
    public static func start(feed: DashboardFeed, port: Int = 0) async throws -> DashboardServer {
        var logger = Logger(label: "archmesh.dashboard")
        logger.logLevel = .critical
        let visits = Visits()
        let router = Router()
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
        router.get("/state") { _, _ in
            visits.state.withLock { $0.lastStateRead = .now }
            return Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: feed.json)))
        }
        router.get("/report") { _, _ in
            guard let html = feed.reportHTML else {
                return Response(
                    status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "The report is written when the run is over.\n")))
            }
            visits.state.withLock { $0.reportServed = true }
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        let listening = ListeningSignal()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
            onServerRunning: { channel in listening.resume(.success(channel.localAddress?.port ?? port)) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task {
            do {
                try await group.run()
                listening.resume(.failure(DashboardError.stoppedBeforeListening))
            } catch {
                listening.resume(.failure(error))
            }
        }
        do {
            let bound = try await listening.value
            return DashboardServer(port: bound, group: group, running: running, visits: visits)
        } catch {
            await group.triggerGracefulShutdown()
            await running.value
            throw DashboardError.cannotListen(port: port, reason: "\(error)")
        }
    }

    /// Stops serving. A page that was reading the state in the last few seconds is given up to
    /// `linger` to fetch the final report first, so it can show it after the command has exited.
    public func stop(linger: Duration = .seconds(5)) async {
        let deadline = ContinuousClock.now + linger
        while ContinuousClock.now < deadline {
            let (last, served) = visits.state.withLock { ($0.lastStateRead, $0.reportServed) }
            guard !served, let last, ContinuousClock.now - last < .seconds(3) else { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        await group.triggerGracefulShutdown()
        await running.value
    }
}

public enum DashboardError: Error, CustomStringConvertible {
    case cannotListen(port: Int, reason: String)
    case stoppedBeforeListening

    public var description: String {
        switch self {
        case .cannotListen(let port, let reason): return "the dashboard cannot listen on 127.0.0.1:\(port): \(reason)"
        case .stoppedBeforeListening: return "the dashboard's server stopped before it listened"
        }
    }
}

/// When a page last read the state, and whether a page has read the final report.
private final class Visits: Sendable {
    let state = Mutex<(lastStateRead: ContinuousClock.Instant?, reportServed: Bool)>((nil, false))
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
