import Foundation
import Hummingbird

/// `/api/v1/workflows`: start, list, get, status.
struct WorkflowsController: Sendable {
    let repository: WorkflowRepository
    let maximumBodyBytes: Int

    /// Mounted at `/api/v1/workflows`.
    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("start", use: start)
        routes.get(use: list)
        routes.get("{session_id}", use: get)
        routes.get("{session_id}/status", use: get)
        return routes
    }

    @Sendable func start(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<RowBody<WorkflowStatus>> {
        let start = try WorkflowStart(try await request.jsonObject(limit: maximumBodyBytes))
        do {
            let status = try await repository.start(start, timings: context.timings, logger: context.logger)
            return EditedResponse(status: .created, response: status)
        } catch WorkflowRepository.StartRefusal.unknownProject {
            throw APIError.notFound("project \(start.projectID.lowercasedString)")
        } catch WorkflowRepository.StartRefusal.alreadyActive {
            throw APIError(.conflict, code: "workflow_already_active",
                           message: "project \(start.projectID.lowercasedString) already has an active workflow",
                           fields: [FieldError(field: "project_id", message: "already has an active workflow")])
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Page<WorkflowStatus> {
        let query = try WorkflowQuery(request)
        let (rows, total) = try await repository.list(query, timings: context.timings, logger: context.logger)
        return Page(rows: rows, total: total, window: query.window)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> RowBody<WorkflowStatus> {
        let id = try context.parameters.uuid("session_id")
        return try APIError.found(try await repository.get(id, timings: context.timings, logger: context.logger), "workflow session \(id.lowercasedString)")
    }
}
