import ArchMeshDatabase
import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport

@Suite("Embedded cluster")
struct EmbeddedClusterTests {
    @Test("a cluster starts on a loopback port, answers queries, and leaves nothing behind when stopped")
    func startsAndStops() async throws {
        let cluster = try await EmbeddedCluster.start(logger: TestDatabase.logger)
        #expect(cluster.url.host == "127.0.0.1")
        let version = try await cluster.url.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query("SHOW server_version_num", logger: TestDatabase.logger).decode(String.self).first { _ in true }
        }
        #expect(Int(version ?? "") ?? 0 >= 150000)
        let preloaded = try await cluster.url.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query("SHOW shared_preload_libraries", logger: TestDatabase.logger).decode(String.self).first { _ in true }
        }
        #expect(preloaded == "pg_stat_statements")
        let pidFile = cluster.directory.appendingPathComponent("data/postmaster.pid")
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n")[0]))
        await cluster.stop()
        #expect(!FileManager.default.fileExists(atPath: cluster.directory.path))
        #expect(!ProcessTable.isRunning(pid), "the postmaster is gone")
    }

    @Test("the password never shows in the URL's description")
    func passwordIsRedacted() async throws {
        let cluster = try await TestDatabase.sharedCluster()
        let password = try #require(cluster.url.password)
        #expect(!cluster.url.description.contains(password))
        #expect(cluster.url.description.contains(":***@"))
    }
}
