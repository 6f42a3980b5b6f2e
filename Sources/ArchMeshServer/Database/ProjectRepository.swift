import Foundation
import Logging
import PostgresNIO

/// Projects in PostgreSQL. Every statement is a fixed text with bound parameters, so
/// pg_stat_statements sees one entry per kind of query.
struct ProjectRepository: Sendable {
    let database: TimedDatabase

    func create(_ draft: ProjectDraft, timings: RequestTimings, logger: Logger) async throws -> RowBody<Project> {
        try await database.withConnection(timings, logger: logger) { connection in
            let rows = try await connection.query("""
                INSERT INTO projects (id, name, description, domain) \
                VALUES (\(UUID()), \(draft.name), \(draft.description), \(draft.domain.rawValue)::project_domain) \
                RETURNING \(unescaped: Project.columns)
                """, name: "projects.insert")
            return RowBody(row: rows[0])
        }
    }

    func list(_ query: ProjectQuery, timings: RequestTimings, logger: Logger) async throws -> (rows: [PostgresRow], total: Int) {
        let filter = Self.filter(query)
        return try await database.withConnection(timings, logger: logger) { connection in
            try await filter.fetch(
                ProjectPageQuery.self, on: connection, table: "projects", window: query.window, countLabel: "projects.count")
        }
    }

    /// The list's filters: each matches everything when its parameter is null. `search` matches
    /// anywhere in name or description, LIKE's wildcards in it taken literally.
    static let condition = "($1::project_domain IS NULL OR domain = $1::project_domain) AND ($2::project_status IS NULL OR status = $2::project_status) "
        + "AND ($3::text IS NULL OR name ILIKE $3 OR description ILIKE $3)"

    static func filter(_ query: ProjectQuery) -> ListFilter {
        var binds = PostgresBindings()
        binds.append(query.domain?.rawValue)
        binds.append(query.status?.rawValue)
        binds.append(query.search.map { "%" + escapeLike($0) + "%" })
        return ListFilter(condition: condition, binds: binds)
    }

    func get(_ id: UUID, timings: RequestTimings, logger: Logger) async throws -> RowBody<Project>? {
        try await database.withConnection(timings, logger: logger) { connection in
            try await connection.execute(ProjectByIDQuery(id: id)).first.map(RowBody.init(row:))
        }
    }

    func update(_ id: UUID, _ changes: ProjectChanges, timings: RequestTimings, logger: Logger) async throws -> RowBody<Project>? {
        try await database.withConnection(timings, logger: logger) { connection in
            let rows = try await connection.query("""
                UPDATE projects SET \
                name = coalesce(\(changes.name), name), \
                description = CASE WHEN \(changes.changesDescription) THEN \(changes.description) ELSE description END, \
                domain = coalesce(\(changes.domain?.rawValue)::project_domain, domain), \
                status = coalesce(\(changes.status?.rawValue)::project_status, status), \
                updated_at = now() \
                WHERE id = \(id) RETURNING \(unescaped: Project.columns)
                """, name: "projects.update")
            return rows.first.map(RowBody.init(row:))
        }
    }

    func delete(_ id: UUID, timings: RequestTimings, logger: Logger) async throws -> Bool {
        try await database.withConnection(timings, logger: logger) { connection in
            let rows = try await connection.query("DELETE FROM projects WHERE id = \(id) RETURNING id", name: "projects.delete")
            return !rows.isEmpty
        }
    }

    func statistics(timings: RequestTimings, logger: Logger) async throws -> ProjectStatistics {
        try await database.withConnection(timings, logger: logger) { connection in
            let groups = try await connection.query("""
                SELECT domain::text, status::text, count(*) FROM projects GROUP BY GROUPING SETS ((domain), (status))
                """, name: "projects.statistics")
            var byDomain = Dictionary(uniqueKeysWithValues: ProjectDomain.allCases.map { ($0.rawValue, 0) })
            var byStatus = Dictionary(uniqueKeysWithValues: ProjectStatus.allCases.map { ($0.rawValue, 0) })
            for row in groups {
                let (domain, status, count) = try row.decode((String?, String?, Int).self)
                if let domain { byDomain[domain] = count }
                if let status { byStatus[status] = count }
            }
            let active = try await connection.query(
                "SELECT count(*) FROM workflow_sessions WHERE is_active", name: "workflows.count_active")
            return ProjectStatistics(
                totalProjects: byDomain.values.reduce(0, +), projectsByDomain: byDomain, projectsByStatus: byStatus,
                activeWorkflows: try active[0].decode(Int.self))
        }
    }

    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
