import PostgresNIO

/// A list endpoint's WHERE clause and its bound values, written once and shared by the count and
/// the page, so that the two cannot disagree about which rows they mean.
struct ListFilter: Sendable {
    /// The condition, with its values as `$1`...`$n`.
    let condition: String
    let binds: PostgresBindings

    /// `SELECT count(*) FROM table WHERE condition`.
    func count(from table: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) WHERE \(condition)", binds: binds)
    }

    /// One page of rows, in `order`, each carrying the count of every row that matches in a last
    /// column: the page and the total in one statement and one round trip. The count is a scalar
    /// subquery, run once; `count(*) OVER ()` would read and sort every matching row to page 20
    /// of them (pgbench over 1000 projects: 4,100-4,500 statements/s against 7,500-8,500).
    func page(_ columns: String, from table: String, orderBy order: String, limit: Int, offset: Int) -> PostgresQuery {
        var binds = self.binds
        binds.append(limit)
        binds.append(offset)
        let sql = "SELECT \(columns), (SELECT count(*) FROM \(table) WHERE \(condition)) FROM \(table) WHERE \(condition) ORDER BY \(order) "
            + "LIMIT $\(binds.count - 1) OFFSET $\(binds.count)"
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// The page of rows and the count of all that match, on one connection, decoded by `row`. The
    /// page carries the count; only a page past the end (no rows to carry it) asks for it apart.
    func fetch<Row>(
        on connection: TimedConnection, table: String, columns: String, orderBy order: String, window: PageWindow,
        names: (count: StaticString, page: StaticString), row: (PostgresRow) throws -> Row
    ) async throws -> (rows: [Row], total: Int) {
        let rows = try await connection.query(page(columns, from: table, orderBy: order, limit: window.limit, offset: window.skip), name: names.page)
        if let first = rows.first {
            let cells = first.makeRandomAccess()
            return (try rows.map(row), try cells[cells.count - 1].decode(Int.self))
        }
        guard window.skip > 0 else { return ([], 0) }
        return ([], try await connection.query(count(from: table), name: names.count)[0].decode(Int.self))
    }
}
