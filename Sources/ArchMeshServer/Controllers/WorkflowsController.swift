import Foundation
import Hummingbird

/// `/api/v1/workflows`: start, list, get, status.
struct WorkflowsController: Sendable {
    let repository: WorkflowRepository
    let maximumBodyBytes: Int

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/v1/workflows/start", use: start)
        router.get("/api/v1/workflows", use: list)
        router.get("/api/v1/workflows/{session_id}", use: get)
        router.get("/api/v1/workflows/{session_id}/status", use: get)
    }

    @Sendable func start(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<WorkflowStatus> {
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

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> WorkflowPage {
        let query = try WorkflowQuery(request)
        let (workflows, total) = try await repository.list(query, timings: context.timings, logger: context.logger)
        let pagination = Pagination(skip: query.skip, limit: query.limit)
        return WorkflowPage(
            workflows: workflows, total: total, page: pagination.page, pageSize: query.limit, hasNext: pagination.hasNext(total: total))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> WorkflowStatus {
        let id = try context.parameters.uuid("session_id")
        guard let status = try await repository.get(id, timings: context.timings, logger: context.logger) else {
            throw APIError.notFound("workflow session \(id.lowercasedString)")
        }
        return status
    }
}
