import Logging
import NIOCore
import PostgresNIO

/// Loads the deterministic volume dataset with COPY, adding only what a seed has not loaded yet.
public struct Seeder: Sendable {
    /// What to seed.
    public struct Options: Sendable {
        /// Projects the seed should have in all (not added on top of earlier seeding).
        public var projects: Int
        /// Workflow sessions per project on average (0 for none).
        public var workflowsPerProject: Double
        /// Same seed, same rows.
        public var seed: UInt64
        /// Delete every project and workflow first.
        public var reset: Bool

        public init(projects: Int, workflowsPerProject: Double = 0, seed: UInt64 = 42, reset: Bool = false) {
            self.projects = projects
            self.workflowsPerProject = workflowsPerProject
            self.seed = seed
            self.reset = reset
        }
    }

    /// What a seeding did.
    public struct Summary: Sendable {
        public var projectsAdded: Int
        public var workflowsAdded: Int
        /// Projects in the table afterwards, seeded or not.
        public var projectsInTable: Int
        public var seconds: Double
    }

    /// Rows per COPY message batch: large enough to amortise the round trips.
    static let batchBytes = 1 << 20

    public init() {}

    /// Seeds the database at `url` (already migrated).
    public func seed(_ url: DatabaseURL, options: Options, logger: Logger) async throws -> Summary {
        guard options.projects >= 0 else { throw DatabaseError.seedMismatch("--projects must be 0 or more, got \(options.projects)") }
        guard options.workflowsPerProject >= 0, options.workflowsPerProject <= 100 else {
            throw DatabaseError.seedMismatch("--workflows-per-project must be between 0 and 100, got \(options.workflowsPerProject)")
        }
        let started = ContinuousClock.now
        return try await url.withConnection(logger: logger) { connection in
            _ = try await connection.query("BEGIN", logger: logger)
            do {
                // One seeding at a time per database; the lock ends with the transaction.
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Migrator.schemaLockKey + 1))", logger: logger)
                if options.reset {
                    _ = try await connection.query("TRUNCATE projects, workflow_sessions, seed_progress", logger: logger)
                }
                let already = try await progress(of: options, on: connection, logger: logger)
                var added = (projects: 0, workflows: 0)
                if already < options.projects {
                    added = try await copy(range: already..<options.projects, options: options, on: connection, logger: logger)
                    _ = try await connection.query("""
                        INSERT INTO seed_progress (seed, projects, workflows_per_project) \
                        VALUES (\(Int64(bitPattern: options.seed)), \(options.projects), \(options.workflowsPerProject)) \
                        ON CONFLICT (seed) DO UPDATE SET projects = EXCLUDED.projects, updated_at = now()
                        """, logger: logger)
                }
                let total = try await connection.query("SELECT count(*) FROM projects", logger: logger).decode(Int.self).first { _ in true } ?? 0
                _ = try await connection.query("COMMIT", logger: logger)
                let elapsed = ContinuousClock.now - started
                return Summary(
                    projectsAdded: added.projects, workflowsAdded: added.workflows, projectsInTable: total,
                    seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Projects this seed already loaded; refuses a different workflow density for the same seed.
    private func progress(of options: Options, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            "SELECT projects, workflows_per_project FROM seed_progress WHERE seed = \(Int64(bitPattern: options.seed))",
            logger: logger
        ).decode((Int, Double).self)
        for try await (projects, density) in rows {
            if density != options.workflowsPerProject {
                throw DatabaseError.seedMismatch(
                    "seed \(options.seed) was loaded with --workflows-per-project \(density); pass that, or --reset to load it afresh")
            }
            return projects
        }
        return 0
    }

    /// Adding at least this many rows, and no fewer than the table holds, rebuilds its secondary
    /// indexes after the COPY instead of maintaining them row by row.
    static let bulkThreshold = 50_000

    private func copy(range: Range<Int>, options: Options, on connection: PostgresConnection, logger: Logger) async throws -> (projects: Int, workflows: Int) {
        let existing = try await connection.query("SELECT count(*) FROM projects", logger: logger).decode(Int.self).first { _ in true } ?? 0
        guard range.count >= Self.bulkThreshold, range.count >= existing else {
            return try await copyRows(range: range, options: options, on: connection, logger: logger)
        }
        let projectIndexes = try await SecondaryIndexes.of("projects", on: connection, logger: logger)
        let workflowIndexes = try await SecondaryIndexes.of("workflow_sessions", on: connection, logger: logger)
        return try await projectIndexes.rebuilt(on: connection, logger: logger) {
            try await workflowIndexes.rebuilt(on: connection, logger: logger) {
                try await copyRows(range: range, options: options, on: connection, logger: logger)
            }
        }
    }

    private func copyRows(range: Range<Int>, options: Options, on connection: PostgresConnection, logger: Logger) async throws -> (projects: Int, workflows: Int) {
        let dataset = SeedDataset(seed: options.seed, workflowsPerProject: options.workflowsPerProject)
        try await connection.copyFrom(
            table: "projects", columns: ["id", "name", "description", "domain", "status", "created_at", "updated_at"], logger: logger
        ) { writer in
            var rows = CopyTextBuffer(capacity: Self.batchBytes + 4096)
            for index in range {
                dataset.writeProject(index, into: &rows)
                if rows.buffer.readableBytes >= Self.batchBytes {
                    try await writer.write(rows.buffer)
                    rows.buffer.clear()
                }
            }
            if rows.buffer.readableBytes > 0 { try await writer.write(rows.buffer) }
        }
        var workflows = 0
        if options.workflowsPerProject > 0 {
            try await connection.copyFrom(
                table: "workflow_sessions",
                columns: ["id", "project_id", "current_stage", "state_data", "is_active", "started_at", "last_activity_at", "completed_at"],
                logger: logger
            ) { writer in
                var rows = CopyTextBuffer(capacity: Self.batchBytes + 4096)
                for index in range {
                    workflows += dataset.writeWorkflows(forProject: index, into: &rows)
                    if rows.buffer.readableBytes >= Self.batchBytes {
                        try await writer.write(rows.buffer)
                        rows.buffer.clear()
                    }
                }
                if rows.buffer.readableBytes > 0 { try await writer.write(rows.buffer) }
            }
        }
        return (range.count, workflows)
    }

    /// The dataset as the COPY text `archmesh seed` would send for projects: for comparing with `psql \copy`.
    public static func projectRowsText(seed: UInt64, range: Range<Int>) -> ByteBuffer {
        let dataset = SeedDataset(seed: seed, workflowsPerProject: 0)
        var rows = CopyTextBuffer(capacity: range.count * 160)
        for index in range { dataset.writeProject(index, into: &rows) }
        return rows.buffer
    }
}
