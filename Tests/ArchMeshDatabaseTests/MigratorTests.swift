import ArchMeshDatabase
import Foundation
import PostgresNIO
import Testing
import TestSupport

@Suite("Migrations")
struct MigratorTests {
    @Test("migrations apply in order once, and a second run applies nothing")
    func appliesOnce() async throws {
        let url = try await TestDatabase.emptyDatabase()
        let migrator = try Migrator.bundled()
        let first = try await migrator.migrate(url, logger: TestDatabase.logger)
        #expect(first == migrator.migrations.map(\.version))
        #expect(first == first.sorted())
        let second = try await migrator.migrate(url, logger: TestDatabase.logger)
        #expect(second.isEmpty)
    }

    @Test("two processes migrating at once apply each migration exactly once")
    func concurrentMigrationsDoNotRace() async throws {
        let url = try await TestDatabase.emptyDatabase()
        let migrator = try Migrator.bundled()
        let results = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 { group.addTask { try await migrator.migrate(url, logger: TestDatabase.logger) } }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(results.flatMap { $0 }.sorted() == migrator.migrations.map(\.version))
        let recorded = try await url.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query("SELECT count(*) FROM schema_migrations", logger: TestDatabase.logger).decode(Int.self).first { _ in true }
        }
        #expect(recorded == migrator.migrations.count)
    }

    @Test("file names give versions and names; other files are ignored")
    func parsesFileNames() {
        let migration = Migration(fileName: "0002_projects.sql", sql: "SELECT 1")
        #expect(migration?.version == 2)
        #expect(migration?.name == "projects")
        #expect(Migration(fileName: "README.md", sql: "") == nil)
        #expect(Migration(fileName: "projects.sql", sql: "") == nil)
    }
}
