import ArchMeshDatabase
import Foundation
import Logging

/// Where the history is kept, opened for one command: `ARCHMESH_HISTORY_URL` when set; otherwise
/// a persistent cluster of its own (`PersistentCluster.historyRoot`), made on first use, started
/// for the command and stopped after it (unless it was running already), so that a user gets a
/// history with no set-up and no PostgreSQL left running.
public struct HistoryLocation: Sendable {
    public let store: HistoryStore
    /// The cluster this command started, to stop at `close`.
    private let startedCluster: PersistentCluster?
    /// Where, in words, for messages.
    public let place: String

    /// Opens the history, its schema brought up to date.
    public static func open(logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> HistoryLocation {
        if let text = environment["ARCHMESH_HISTORY_URL"], !text.isEmpty {
            let url = try DatabaseURL(parsing: text)
            let store = HistoryStore(url: url, logger: logger)
            try await store.migrate()
            return HistoryLocation(store: store, startedCluster: nil, place: "\(url) (ARCHMESH_HISTORY_URL)")
        }
        let cluster = try PersistentCluster(root: PersistentCluster.historyRoot(environment: environment), environment: environment)
        let wasRunning = cluster.isRunning
        let url = try await cluster.start(port: PersistentCluster.historyPort, logger: logger)
        let location = HistoryLocation(
            store: HistoryStore(url: url, logger: logger), startedCluster: wasRunning ? nil : cluster, place: cluster.root.path)
        do {
            try await location.store.migrate()
        } catch {
            await location.close()
            throw error
        }
        return location
    }

    /// Stops the history's cluster if this command started it.
    public func close() async {
        await startedCluster?.stop()
    }

    /// Opens the history, runs `body`, closes it whatever happens.
    public static func with<Result>(logger: Logger, _ body: (HistoryStore, String) async throws -> Result) async throws -> Result {
        let location = try await open(logger: logger)
        do {
            let result = try await body(location.store, location.place)
            await location.close()
            return result
        } catch {
            await location.close()
            throw error
        }
    }
}
