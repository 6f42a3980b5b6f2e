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

    /// One page of rows, in `order`.
    func page(_ columns: String, from table: String, orderBy order: String, limit: Int, offset: Int) -> PostgresQuery {
        var binds = self.binds
        binds.append(limit)
        binds.append(offset)
        let sql = "SELECT \(columns) FROM \(table) WHERE \(condition) ORDER BY \(order) LIMIT $\(binds.count - 1) OFFSET $\(binds.count)"
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// The page of rows and the count of all that match, on one connection, decoded by `row`.
    func fetch<Row>(
        on connection: TimedConnection, table: String, columns: String, orderBy order: String, window: PageWindow,
        names: (count: StaticString, page: StaticString), row: (PostgresRow) throws -> Row
    ) async throws -> (rows: [Row], total: Int) {
        let total = try await connection.query(count(from: table), name: names.count)[0].decode(Int.self)
        let rows = try await connection.query(page(columns, from: table, orderBy: order, limit: window.limit, offset: window.skip), name: names.page)
        return (try rows.map(row), total)
    }
}
