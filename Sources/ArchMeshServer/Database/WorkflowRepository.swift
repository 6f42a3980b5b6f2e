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
    func start(_ request: WorkflowStart, timings: RequestTimings, logger: Logger) async throws -> WorkflowStatus {
        let state = String(decoding: try JSONEncoder().encode(request.initialState), as: UTF8.self)
        do {
            return try await database.withConnection(timings, logger: logger) { connection in
                let rows = try await connection.query("""
                    INSERT INTO workflow_sessions (id, project_id, current_stage, state_data) \
                    VALUES (\(UUID()), \(request.projectID), \(request.initialStage.rawValue)::workflow_stage, \(state)::jsonb) \
                    RETURNING \(unescaped: WorkflowStatus.columns)
                    """, name: "workflows.insert")
                return try WorkflowStatus(row: rows[0])
            }
        } catch let error as PSQLError {
            switch error.serverInfo?[.sqlState] {
            case "23503": throw StartRefusal.unknownProject
            case "23505": throw StartRefusal.alreadyActive
            default: throw error
            }
        }
    }

    func list(_ query: WorkflowQuery, timings: RequestTimings, logger: Logger) async throws -> (workflows: [WorkflowStatus], total: Int) {
        let stage = query.stage?.rawValue
        return try await database.withConnection(timings, logger: logger) { connection in
            let countRows = try await connection.query("""
                SELECT count(*) FROM workflow_sessions \
                WHERE (\(query.projectID)::uuid IS NULL OR project_id = \(query.projectID)) \
                AND (\(query.isActive)::boolean IS NULL OR is_active = \(query.isActive)) \
                AND (\(stage)::workflow_stage IS NULL OR current_stage = \(stage)::workflow_stage)
                """, name: "workflows.count")
            let total = try countRows[0].decode(Int.self)
            let rows = try await connection.query("""
                SELECT \(unescaped: WorkflowStatus.columns) FROM workflow_sessions \
                WHERE (\(query.projectID)::uuid IS NULL OR project_id = \(query.projectID)) \
                AND (\(query.isActive)::boolean IS NULL OR is_active = \(query.isActive)) \
                AND (\(stage)::workflow_stage IS NULL OR current_stage = \(stage)::workflow_stage) \
                ORDER BY started_at DESC, id DESC LIMIT \(query.limit) OFFSET \(query.skip)
                """, name: "workflows.page")
            return (try rows.map(WorkflowStatus.init(row:)), total)
        }
    }

    func get(_ id: UUID, timings: RequestTimings, logger: Logger) async throws -> WorkflowStatus? {
        try await database.withConnection(timings, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: WorkflowStatus.columns) FROM workflow_sessions WHERE id = \(id)", name: "workflows.get")
            return try rows.first.map(WorkflowStatus.init(row:))
        }
    }
}
