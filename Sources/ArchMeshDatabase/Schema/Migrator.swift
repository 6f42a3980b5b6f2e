import Logging
import PostgresNIO

/// Applies migrations in order, each once, recorded in `schema_migrations`, under an advisory lock
/// so that two processes starting together do not race.
public struct Migrator: Sendable {
    /// The advisory lock key: "archmesh" in ASCII.
    static let lockKey: Int64 = 0x6172_6368_6D65_7368

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations
    }

    /// A migrator for the package's own `sql/` files.
    public static func bundled() throws -> Migrator {
        Migrator(migrations: try Migration.bundled())
    }

    /// Brings the database at `url` up to date; returns the versions it applied (empty when none were due).
    @discardableResult
    public func migrate(_ url: DatabaseURL, logger: Logger) async throws -> [Int] {
        try await url.withConnection(logger: logger) { connection in
            try await migrate(on: connection, logger: logger)
        }
    }

    /// The same, on a connection the caller owns.
    public func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        _ = try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
        do {
            let applied = try await applyPending(on: connection, logger: logger)
            _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            throw error
        }
    }

    private func applyPending(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        _ = try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var done = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
            done.insert(version)
        }
        var applied: [Int] = []
        for migration in migrations where !done.contains(migration.version) {
            do {
                _ = try await connection.query("BEGIN", logger: logger)
                for statement in SQLScript.statements(in: migration.sql) {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                _ = try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw DatabaseError.migrationFailed(version: migration.version, name: migration.name, reason: String(reflecting: error))
            }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }
}
