import Foundation
import Hummingbird

/// `/api/v1/projects`: create, list, get, update, delete, statistics.
struct ProjectsController: Sendable {
    let repository: ProjectRepository
    let maximumBodyBytes: Int

    /// Mounted at `/api/v1/projects`; one route answers with and without a trailing slash (the
    /// router ignores empty segments).
    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post(use: create)
        routes.get(use: list)
        // A constant segment outranks a parameter, so `stats` never reaches `get`.
        routes.get("stats/overview", use: statistics)
        routes.get("{project_id}", use: get)
        routes.put("{project_id}", use: update)
        routes.delete("{project_id}", use: delete)
        return routes
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<RowBody<Project>> {
        let draft = try ProjectDraft(try await request.jsonObject(limit: maximumBodyBytes))
        let project = try await repository.create(draft, timings: context.timings, logger: context.logger)
        return EditedResponse(status: .created, response: project)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Page<Project> {
        let query = try ProjectQuery(request)
        let (rows, total) = try await repository.list(query, timings: context.timings, logger: context.logger)
        return Page(rows: rows, total: total, window: query.window)
    }

    @Sendable func get(_ request: Request, context: AppRequestContext) async throws -> RowBody<Project> {
        let id = try context.parameters.uuid("project_id")
        return try APIError.found(try await repository.get(id, timings: context.timings, logger: context.logger), "project \(id.lowercasedString)")
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> RowBody<Project> {
        let id = try context.parameters.uuid("project_id")
        let changes = try ProjectChanges(try await request.jsonObject(limit: maximumBodyBytes))
        return try APIError.found(
            try await repository.update(id, changes, timings: context.timings, logger: context.logger), "project \(id.lowercasedString)")
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
