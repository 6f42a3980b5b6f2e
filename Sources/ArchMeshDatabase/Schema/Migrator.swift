import Logging
import PostgresNIO

/// Applies migrations in order, each once, recorded in a ledger table (`schema_migrations` for the
/// server's schema), under an advisory lock so that two processes starting together do not race.
/// Other schemas (the run history's) keep a ledger and a lock of their own.
public struct Migrator: Sendable {
    /// The server schema's advisory lock key: "archmesh" in ASCII.
    public static let schemaLockKey: Int64 = 0x6172_6368_6D65_7368

    public let migrations: [Migration]
    /// The table that records which versions were applied.
    public let ledger: String
    public let lockKey: Int64

    public init(migrations: [Migration], ledger: String = "schema_migrations", lockKey: Int64 = Migrator.schemaLockKey) {
        precondition(ledger.allSatisfy { $0.isLetter || $0 == "_" }, "a ledger is a plain table name")
        self.migrations = migrations
        self.ledger = ledger
        self.lockKey = lockKey
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
        _ = try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
        do {
            let applied = try await applyPending(on: connection, logger: logger)
            _ = try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            throw error
        }
    }

    private func applyPending(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        _ = try await connection.query("""
            CREATE TABLE IF NOT EXISTS \(unescaped: ledger) (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var done = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM \(unescaped: ledger)", logger: logger).decode(Int.self) {
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
                    "INSERT INTO \(unescaped: ledger) (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
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
