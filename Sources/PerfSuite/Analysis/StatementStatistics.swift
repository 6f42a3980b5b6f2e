import ArchMeshDatabase
import Logging
import PostgresNIO

/// One statement's work during a scenario, from `pg_stat_statements` read before and after.
public struct StatementFigures: Codable, Sendable, Equatable {
    public var query: String
    public var calls: Int
    public var totalMilliseconds: Double
    public var meanMilliseconds: Double
    public var rows: Int

    public init(query: String, calls: Int, totalMilliseconds: Double, meanMilliseconds: Double, rows: Int) {
        self.query = query
        self.calls = calls
        self.totalMilliseconds = totalMilliseconds
        self.meanMilliseconds = meanMilliseconds
        self.rows = rows
    }

    /// The query on one line, its runs of whitespace collapsed: how the reports show it.
    public var singleLineQuery: String { query.split(whereSeparator: \.isWhitespace).joined(separator: " ") }

    enum CodingKeys: String, CodingKey {
        case query, calls, totalMilliseconds = "totalMs", meanMilliseconds = "meanMs", rows
    }
}

/// `pg_stat_statements` for the server's database at one moment: cumulative figures by query ID.
public struct StatementSnapshot: Sendable {
    struct Entry: Sendable {
        var query: String
        var calls: Int
        var totalMilliseconds: Double
        var rows: Int
    }

    var entries: [Int64: Entry]

    /// Creates the extension in `database`, so that `read` has something to read (the cluster must
    /// preload the module, as the embedded one does).
    public static func enable(in database: DatabaseURL, logger: Logger) async throws {
        try await database.withConnection(logger: logger) { connection in
            _ = try await connection.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", logger: logger)
        }
    }

    /// Reads the statements of the connection's database; nil when the extension is not installed
    /// (a user's database may not have it). The harness's own reading is left out.
    public static func read(_ database: DatabaseURL, logger: Logger) async -> StatementSnapshot? {
        let sql: PostgresQuery = """
            SELECT s.queryid, s.query, s.calls, s.total_exec_time, s.rows
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database() AND s.queryid IS NOT NULL AND s.query NOT LIKE '%pg_stat_statements%'
            """
        do {
            return try await database.withConnection(logger: logger) { connection in
                var entries: [Int64: Entry] = [:]
                for try await (id, query, calls, total, rows) in try await connection.query(sql, logger: logger)
                    .decode((Int64, String, Int64, Double, Int64).self)
                {
                    var entry = entries[id] ?? Entry(query: query, calls: 0, totalMilliseconds: 0, rows: 0)
                    entry.calls += Int(calls)
                    entry.totalMilliseconds += total
                    entry.rows += Int(rows)
                    entries[id] = entry
                }
                return StatementSnapshot(entries: entries)
            }
        } catch {
            logger.debug("pg_stat_statements is not readable", metadata: ["error": "\(String(reflecting: error))"])
            return nil
        }
    }

    /// What ran between `earlier` and this snapshot, busiest first.
    public func since(_ earlier: StatementSnapshot) -> [StatementFigures] {
        entries.compactMap { id, entry -> StatementFigures? in
            let before = earlier.entries[id]
            let calls = entry.calls - (before?.calls ?? 0)
            guard calls > 0 else { return nil }
            let total = entry.totalMilliseconds - (before?.totalMilliseconds ?? 0)
            return StatementFigures(
                query: entry.query, calls: calls, totalMilliseconds: total, meanMilliseconds: total / Double(calls),
                rows: entry.rows - (before?.rows ?? 0))
        }
        .sorted { $0.totalMilliseconds > $1.totalMilliseconds }
    }
}
