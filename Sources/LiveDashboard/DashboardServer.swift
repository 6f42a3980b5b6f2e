import Foundation
import HTTPServing
import Hummingbird
import NIOCore
import Synchronization

/// Serves a command's dashboard on loopback: the page at `/`, its state as JSON at `/state`, and the
/// final report at `/report` once the command is over. Everything the page needs comes from here.
public final class DashboardServer: Sendable {
    /// The port it listens on (the one asked for, or the one the system gave for 0).
    public var port: Int { server.port }
    private let server: RunningServer
    private let visits: Visits

    public var url: String { "http://127.0.0.1:\(port)/" }

    private init(server: RunningServer, visits: Visits) {
        self.server = server
        self.visits = visits
    }

    /// Starts serving `feed` on 127.0.0.1:`port` (0: any free port); throws when it cannot listen.
    public static func start(feed: DashboardFeed, port: Int = 0) async throws -> DashboardServer {
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
        do {
            return DashboardServer(server: try await RunningServer.start(router, host: "127.0.0.1", port: port), visits: visits)
        } catch {
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
        await server.stop()
    }
}

public enum DashboardError: Error, CustomStringConvertible {
    case cannotListen(port: Int, reason: String)

    public var description: String {
        switch self {
        case .cannotListen(_, let reason): return "the dashboard \(reason)"
        }
    }
}

/// When a page last read the state, and whether a page has read the final report.
private final class Visits: Sendable {
    let state = Mutex<(lastStateRead: ContinuousClock.Instant?, reportServed: Bool)>((nil, false))
}
