import Foundation
import Logging
import PostgresNIO

/// Workflow sessions in PostgreSQL.
struct WorkflowRepository: Sendable {
    let database: TimedDatabase

    /// Why a start was refused.
    enum StartRefusal: Error {
        case unknownProject
        case alreadyActive
    }

    /// Starts a session with one INSERT: the foreign key answers "no such project" and the partial
    /// unique index answers "already active", atomically, however many clients race.
    func start(_ request: WorkflowStart, timings: RequestTimings, logger: Logger) async throws -> RowBody<WorkflowStatus> {
        let state = String(decoding: try JSONEncoder().encode(request.initialState), as: UTF8.self)
        do {
            return try await database.withConnection(timings, logger: logger) { connection in
                let rows = try await connection.query("""
                    INSERT INTO workflow_sessions (id, project_id, current_stage, state_data) \
                    VALUES (\(UUID()), \(request.projectID), \(request.initialStage.rawValue)::workflow_stage, \(state)::jsonb) \
                    RETURNING \(unescaped: WorkflowStatus.columns)
                    """, name: "workflows.insert")
                return RowBody(row: rows[0])
            }
        } catch let error as PSQLError {
            switch error.serverInfo?[.sqlState] {
            case "23503": throw StartRefusal.unknownProject
            case "23505": throw StartRefusal.alreadyActive
            default: throw error
            }
        }
    }

    func list(_ query: WorkflowQuery, timings: RequestTimings, logger: Logger) async throws -> (rows: [PostgresRow], total: Int) {
        let filter = Self.filter(query)
        return try await database.withConnection(timings, logger: logger) { connection in
            try await filter.fetch(
                WorkflowPageQuery.self, on: connection, table: "workflow_sessions", window: query.window, countLabel: "workflows.count")
        }
    }

    /// The list's filters: each matches everything when its parameter is null.
    static let condition = "($1::uuid IS NULL OR project_id = $1) AND ($2::boolean IS NULL OR is_active = $2) "
        + "AND ($3::workflow_stage IS NULL OR current_stage = $3::workflow_stage)"

    static func filter(_ query: WorkflowQuery) -> ListFilter {
        var binds = PostgresBindings()
        binds.append(query.projectID)
        binds.append(query.isActive)
        binds.append(query.stage?.rawValue)
        return ListFilter(condition: condition, binds: binds)
    }

    func get(_ id: UUID, timings: RequestTimings, logger: Logger) async throws -> RowBody<WorkflowStatus>? {
        try await database.withConnection(timings, logger: logger) { connection in
            try await connection.execute(WorkflowByIDQuery(id: id)).first.map(RowBody.init(row:))
        }
    }
}
