@testable import ArchMeshDatabase
import Foundation
import PostgresNIO
import Testing
import TestSupport

@Suite("Seeding")
struct SeederTests {
    func fingerprint(_ url: DatabaseURL) async throws -> [String] {
        try await url.withConnection(logger: TestDatabase.logger) { connection in
            var rows: [String] = []
            let query: PostgresQuery = "SELECT id::text || name || domain::text || status::text || created_at::text FROM projects ORDER BY id"
            for try await row in try await connection.query(query, logger: TestDatabase.logger).decode(String.self) { rows.append(row) }
            return rows
        }
    }

    func count(_ table: String, _ url: DatabaseURL) async throws -> Int {
        try await url.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query("SELECT count(*) FROM \(unescaped: table)", logger: TestDatabase.logger).decode(Int.self).first { _ in true } ?? -1
        }
    }

    @Test("the same seed gives the same rows in two databases")
    func deterministic() async throws {
        let first = try await TestDatabase.migratedDatabase()
        let second = try await TestDatabase.migratedDatabase()
        let options = Seeder.Options(projects: 200, workflowsPerProject: 0.5, seed: 7)
        _ = try await Seeder().seed(first, options: options, logger: TestDatabase.logger)
        _ = try await Seeder().seed(second, options: options, logger: TestDatabase.logger)
        #expect(try await fingerprint(first) == fingerprint(second))
        #expect(try await count("workflow_sessions", first) == 100)
    }

    @Test("seeding again adds nothing, and a larger count adds only the difference")
    func idempotent() async throws {
        let url = try await TestDatabase.migratedDatabase()
        let seeder = Seeder()
        let first = try await seeder.seed(url, options: .init(projects: 1000), logger: TestDatabase.logger)
        #expect(first.projectsAdded == 1000)
        let again = try await seeder.seed(url, options: .init(projects: 1000), logger: TestDatabase.logger)
        #expect(again.projectsAdded == 0)
        #expect(again.projectsInTable == 1000)
        let more = try await seeder.seed(url, options: .init(projects: 1500), logger: TestDatabase.logger)
        #expect(more.projectsAdded == 500)
        #expect(try await count("projects", url) == 1500)
        let reset = try await seeder.seed(url, options: .init(projects: 300, reset: true), logger: TestDatabase.logger)
        #expect(reset.projectsAdded == 300)
        #expect(try await count("projects", url) == 300)
    }

    @Test("a different workflow density for a loaded seed is refused with a message naming both")
    func refusesDifferentDensity() async throws {
        let url = try await TestDatabase.migratedDatabase()
        _ = try await Seeder().seed(url, options: .init(projects: 10, workflowsPerProject: 1), logger: TestDatabase.logger)
        await #expect(throws: DatabaseError.self) {
            _ = try await Seeder().seed(url, options: .init(projects: 20, workflowsPerProject: 2), logger: TestDatabase.logger)
        }
    }

    @Test("every project has at most one active workflow")
    func oneActiveWorkflow() async throws {
        let url = try await TestDatabase.migratedDatabase()
        _ = try await Seeder().seed(url, options: .init(projects: 300, workflowsPerProject: 3, seed: 3), logger: TestDatabase.logger)
        #expect(try await count("workflow_sessions", url) == 900)
        let worst = try await url.withConnection(logger: TestDatabase.logger) { connection in
            try await connection.query(
                "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM workflow_sessions WHERE is_active GROUP BY project_id) t",
                logger: TestDatabase.logger
            ).decode(Int.self).first { _ in true }
        }
        #expect(worst == 1)
    }

    @Test("a bulk load drops the secondary indexes for the COPY and leaves every one rebuilt")
    func bulkLoadRebuildsIndexes() async throws {
        let url = try await TestDatabase.migratedDatabase()
        func indexes() async throws -> [String] {
            try await url.withConnection(logger: TestDatabase.logger) { connection in
                var names: [String] = []
                let query: PostgresQuery = "SELECT indexname::text FROM pg_indexes WHERE tablename IN ('projects', 'workflow_sessions') ORDER BY 1"
                for try await name in try await connection.query(query, logger: TestDatabase.logger).decode(String.self) { names.append(name) }
                return names
            }
        }
        let before = try await indexes()
        let summary = try await Seeder().seed(url, options: .init(projects: Seeder.bulkThreshold, workflowsPerProject: 0.1), logger: TestDatabase.logger)
        #expect(summary.projectsAdded == Seeder.bulkThreshold)
        #expect(try await indexes() == before)
        #expect(before.contains("workflow_sessions_one_active_per_project"))
    }
}
