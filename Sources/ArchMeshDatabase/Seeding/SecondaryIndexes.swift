import Logging
import PostgresNIO

/// A table's indexes other than those backing constraints (the primary key), read from `pg_indexes`
/// so they can be dropped for a bulk load and rebuilt after it: one sorted build of a B-tree or a
/// trigram GIN index costs far less than keeping it up to date row by row.
struct SecondaryIndexes {
    let table: String
    let definitions: [(name: String, definition: String)]

    static func of(_ table: String, on connection: PostgresConnection, logger: Logger) async throws -> SecondaryIndexes {
        let rows = try await connection.query("""
            SELECT indexname::text, indexdef FROM pg_indexes \
            WHERE schemaname = current_schema() AND tablename = \(table) \
            AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = \(table)::regclass)
            """, logger: logger)
        var definitions: [(String, String)] = []
        for try await (name, definition) in rows.decode((String, String).self) { definitions.append((name, definition)) }
        return SecondaryIndexes(table: table, definitions: definitions)
    }

    /// Drops the indexes, runs `load`, and builds them again, all in the caller's transaction.
    func rebuilt<Result>(on connection: PostgresConnection, logger: Logger, around load: () async throws -> Result) async throws -> Result {
        for index in definitions {
            _ = try await connection.query(PostgresQuery(unsafeSQL: "DROP INDEX \"\(index.name)\""), logger: logger)
        }
        let result = try await load()
        _ = try await connection.query("SET LOCAL maintenance_work_mem = '256MB'", logger: logger)
        for index in definitions {
            _ = try await connection.query(PostgresQuery(unsafeSQL: index.definition), logger: logger)
        }
        return result
    }
}
