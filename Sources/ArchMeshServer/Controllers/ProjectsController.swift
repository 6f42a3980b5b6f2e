import Foundation
import Hummingbird

/// `/api/v1/projects`: create, list, get, update, delete, statistics.
struct ProjectsController: Sendable {
    let repository: ProjectRepository
    let maximumBodyBytes: Int

    func register(on router: Router<AppRequestContext>) {
        // One route answers both `/api/v1/projects` and `/api/v1/projects/`: the router ignores empty segments.
        router.post("/api/v1/projects", use: create)
        router.get("/api/v1/projects", use: list)
        // A constant segment outranks a parameter, so `stats` never reaches `get`.
        router.get("/api/v1/projects/stats/overview", use: statistics)
        router.get("/api/v1/projects/{project_id}", use: get)
        router.put("/api/v1/projects/{project_id}", use: update)
        router.delete("/api/v1/projects/{project_id}", use: delete)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<Project> {
        let draft = try ProjectDraft(try await request.jsonObject(limit: maximumBodyBytes))
        let project = try await repository.create(draft, timings: context.timings, logger: context.logger)
        return EditedResponse(status: .created, response: project)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> ProjectPage {
        let query = try ProjectQuery(request)
        let (projects, total) = try await repository.list(query, timings: context.timings, logger: context.logger)
        let pagination = Pagination(skip: query.skip, limit: query.limit)
        return ProjectPage(
            projects: projects, total: total, page: pagination.page, pageSize: query.limit, hasNext: pagination.hasNext(total: total))
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> Project {
        let id = try context.parameters.uuid("project_id")
        guard let project = try await repository.get(id, timings: context.timings, logger: context.logger) else {
            throw APIError.notFound("project \(id.lowercasedString)")
        }
        return project
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Project {
        let id = try context.parameters.uuid("project_id")
        let changes = try ProjectChanges(try await request.jsonObject(limit: maximumBodyBytes))
        guard let project = try await repository.update(id, changes, timings: context.timings, logger: context.logger) else {
            throw APIError.notFound("project \(id.lowercasedString)")
        }
        return project
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let id = try context.parameters.uuid("project_id")
        guard try await repository.delete(id, timings: context.timings, logger: context.logger) else {
            throw APIError.notFound("project \(id.lowercasedString)")
        }
        return .noContent
    }

    @Sendable func statistics(_ request: Request, context: AppRequestContext) async throws -> ProjectStatistics {
        try await repository.statistics(timings: context.timings, logger: context.logger)
    }
}
