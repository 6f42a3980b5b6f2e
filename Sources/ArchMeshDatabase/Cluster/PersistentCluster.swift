import Foundation
import Logging

/// The cluster `archmesh db start|stop|status` keeps between commands, for users who want their
/// seeded data to stay.
///
/// It lives in `$ARCHMESH_CLUSTER_DIR`, or `/var/lib/archmesh/postgres` for root (PostgreSQL runs as
/// `postgres`, which cannot enter root's home), or `~/.local/state/archmesh/postgres`.
public struct PersistentCluster: Sendable {
    /// What `db start` records so later commands can connect.
    struct State: Codable {
        var port: Int
        var username: String
        var password: String
        var database: String
    }

    /// The default port, away from a system PostgreSQL's 5432.
    public static let defaultPort = 54329

    public let root: URL
    let cluster: LocalCluster

    public init(root: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let folder = root ?? Self.defaultRoot(environment: environment)
        self.root = folder
        self.cluster = LocalCluster(root: folder, binaries: try PostgresBinaries.locate(environment: environment), owner: try ClusterOwner.current())
    }

    /// The folder of the run history's own cluster: `$ARCHMESH_HISTORY_DIR`, or `history` beside
    /// the default cluster's folder (`<ARCHMESH_CLUSTER_DIR>-history` when that is set).
    public static func historyRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit = environment["ARCHMESH_HISTORY_DIR"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        if let explicit = environment["ARCHMESH_CLUSTER_DIR"], !explicit.isEmpty { return URL(fileURLWithPath: explicit + "-history") }
        return defaultRoot(environment: environment).deletingLastPathComponent().appendingPathComponent("history")
    }

    /// The history cluster's port when it is made (it keeps it after).
    public static let historyPort = 54330

    static func defaultRoot(environment: [String: String]) -> URL {
        if let explicit = environment["ARCHMESH_CLUSTER_DIR"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        if geteuid() == 0 { return URL(fileURLWithPath: "/var/lib/archmesh/postgres") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/state/archmesh/postgres")
    }

    private var stateFile: URL { root.appendingPathComponent("archmesh-cluster.json") }

    /// True while the cluster's postmaster is alive.
    public var isRunning: Bool { cluster.isRunning }

    /// PostgreSQL's own log.
    public var logFile: URL { cluster.logFile }

    /// The URL of its `archmesh` database, when it has been made.
    public var url: DatabaseURL? {
        guard let data = try? Data(contentsOf: stateFile), let state = try? JSONDecoder().decode(State.self, from: data) else { return nil }
        return DatabaseURL(host: "127.0.0.1", port: state.port, username: state.username, password: state.password, database: state.database)
    }

    /// Makes the cluster on first use, then starts it; returns its URL. Starting a running cluster is a no-op.
    @discardableResult
    public func start(port: Int = defaultPort, logger: Logger) async throws -> DatabaseURL {
        if isRunning, let url { return url }
        if !cluster.isInitialized {
            // The parents must let the cluster's owner (postgres, when we are root) through; the cluster's own folder is private.
            try FileManager.default.createDirectory(
                at: root.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let state = State(port: port, username: EmbeddedCluster.username, password: ClusterPassword.generate(), database: EmbeddedCluster.databaseName)
            try await cluster.initialize(username: state.username, password: state.password)
            let data = try JSONEncoder().encode(state)
            _ = FileManager.default.createFile(atPath: stateFile.path, contents: data, attributes: [.posixPermissions: 0o600])
            try await cluster.start(port: state.port)
            let url = self.url!
            try await url.with(database: "postgres").withConnection(logger: logger) { connection in
                _ = try await connection.query("CREATE DATABASE \(unescaped: state.database)", logger: logger)
            }
            return url
        }
        guard let url else {
            throw DatabaseError.persistentCluster("\(root.path) holds a cluster without \(stateFile.lastPathComponent); remove the folder to start afresh")
        }
        try await cluster.start(port: url.port)
        return url
    }

    /// Stops the cluster, keeping its data.
    public func stop() async {
        await cluster.stop()
    }

    /// Stops the cluster and deletes its data.
    public func destroy() async throws {
        await cluster.stop()
        if FileManager.default.fileExists(atPath: root.path) { try FileManager.default.removeItem(at: root) }
    }
}
