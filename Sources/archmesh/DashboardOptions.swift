import ArgumentParser
import Foundation
import LiveDashboard

/// `--dashboard`, shared by `run`, `load` and `capacity`: a page on loopback that follows the command.
struct DashboardOptions: ParsableArguments {
    @Flag(help: "Serve a live dashboard on 127.0.0.1 while the command runs; its address is printed on stderr.")
    var dashboard = false

    @Option(help: "The dashboard's port (default: a free one); implies --dashboard.")
    var dashboardPort: Int?

    func validate() throws {
        if let dashboardPort, !(0...65535).contains(dashboardPort) {
            throw ValidationError("--dashboard-port must be 0 to 65535, got \(dashboardPort)")
        }
    }

    /// The dashboard for `feed`, serving, when one was asked for; its address printed.
    func start(_ feed: @autoclosure () -> DashboardFeed) async throws -> LiveView? {
        guard dashboard || dashboardPort != nil else { return nil }
        let feed = feed()
        do {
            let server = try await DashboardServer.start(feed: feed, port: dashboardPort ?? 0)
            FileHandle.standardError.write(Data("Dashboard: \(server.url)\n".utf8))
            return LiveView(feed: feed, server: server)
        } catch let error as DashboardError {
            throw CommandFailure.badUsage(error.description)
        }
    }
}

/// A command's dashboard while it runs.
struct LiveView: Sendable {
    let feed: DashboardFeed
    let server: DashboardServer

    /// The command is over: the page shows `reportHTML` (a page still watching gets a few seconds to fetch it), then the server stops.
    func finish(interrupted: Bool, reportHTML: String?) async {
        feed.ended(interrupted: interrupted, reportHTML: reportHTML)
        await server.stop()
    }
}
