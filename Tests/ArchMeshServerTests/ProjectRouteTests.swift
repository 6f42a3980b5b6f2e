@testable import ArchMeshServer
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Project routes")
struct ProjectRouteTests {
    @Test("creating a project answers 201 with the stored project, status pending")
    func create() async throws {
        try await TestApp.withRouter { client in
            let response = try await client.send(.post, "/api/v1/projects", json: #"{"name": "Ledger", "description": "Books", "domain": "enterprise"}"#)
            #expect(response.status == .created)
            let project = try response.decoded(ProjectAnswer.self)
            #expect(project.name == "Ledger")
            #expect(project.description == "Books")
            #expect(project.domain == "enterprise")
            #expect(project.status == "pending")
            #expect(String(buffer: response.body).contains(project.id.uuidString.lowercased()))
            let fetched = try await client.send(.get, "/api/v1/projects/\(project.id.uuidString.lowercased())")
            #expect(try fetched.decoded(ProjectAnswer.self) == project)
        }
    }

    @Test("a project without a description has description null, not missing")
    func nullDescription() async throws {
        try await TestApp.withRouter { client in
            let response = try await client.send(.post, "/api/v1/projects", json: #"{"name": "Ledger", "domain": "enterprise"}"#)
            #expect(String(buffer: response.body).contains(#""description":null"#))
        }
    }

    @Test("the list answers with and without a trailing slash, directly, no redirect")
    func trailingSlash() async throws {
        try await TestApp.withRouter(seedProjects: 30) { client in
            for path in ["/api/v1/projects", "/api/v1/projects/"] {
                let response = try await client.send(.get, path + "?limit=5")
                #expect(response.status == .ok, "\(path)")
                let page = try response.decoded(PageProbe.self)
                #expect(page.total == 30)
                #expect(page.projects.count == 5)
            }
            let created = try await client.send(.post, "/api/v1/projects/", json: #"{"name": "Slash", "domain": "enterprise"}"#)
            #expect(created.status == .created)
        }
    }

    struct PageProbe: Decodable {
        var projects: [ProjectAnswer]
        var total: Int
        var page: Int
        var page_size: Int
        var has_next: Bool
    }

    @Test("pages follow skip and limit, newest first, with the original's page arithmetic")
    func pagination() async throws {
        try await TestApp.withRouter(seedProjects: 45) { client in
            let first = try await client.send(.get, "/api/v1/projects?limit=20").decoded(PageProbe.self)
            let third = try await client.send(.get, "/api/v1/projects?skip=40&limit=20").decoded(PageProbe.self)
            #expect(first.page == 1 && first.page_size == 20 && first.has_next)
            #expect(third.page == 3 && third.projects.count == 5 && !third.has_next)
            #expect(first.projects.map(\.createdAt) == first.projects.map(\.createdAt).sorted(by: >))
            let defaults = try await client.send(.get, "/api/v1/projects").decoded(PageProbe.self)
            #expect(defaults.page_size == 100)
            #expect(defaults.projects.count == 45)
        }
    }

    @Test("domain, status and search filters narrow the list and its total")
    func filters() async throws {
        try await TestApp.withRouter(seedProjects: 300) { client in
            let all = try await client.send(.get, "/api/v1/projects?limit=100").decoded(PageProbe.self)
            let enterprise = try await client.send(.get, "/api/v1/projects?domain=enterprise&limit=100").decoded(PageProbe.self)
            #expect(enterprise.total > 0 && enterprise.total < all.total)
            #expect(enterprise.projects.allSatisfy { $0.domain == "enterprise" })
            let failed = try await client.send(.get, "/api/v1/projects?status_filter=failed&limit=100").decoded(PageProbe.self)
            #expect(failed.total > 0 && failed.projects.allSatisfy { $0.status == "failed" })
            let search = try await client.send(.get, "/api/v1/projects?search=PAYMENTS&limit=100").decoded(PageProbe.self)
            #expect(search.total > 0)
            #expect(search.projects.allSatisfy { ($0.name + ($0.description ?? "")).lowercased().contains("payments") })
            let literal = try await client.send(.get, "/api/v1/projects?search=%25&limit=100").decoded(PageProbe.self)
            #expect(literal.total == 0, "a % in search is a literal percent sign, not a wildcard")
        }
    }

    @Test("update changes only the fields sent; delete answers 204 and then 404")
    func updateAndDelete() async throws {
        try await TestApp.withRouter { client in
            let project = try await client.createProject(name: "Before", domain: "cloud-native")
            let path = "/api/v1/projects/\(project.id.uuidString.lowercased())"
            let updated = try await client.send(.put, path, json: #"{"name": "After", "status": "completed"}"#)
            #expect(updated.status == .ok)
            let changed = try updated.decoded(ProjectAnswer.self)
            #expect(changed.name == "After" && changed.status == "completed" && changed.domain == "cloud-native")
            #expect(changed.updatedAt >= project.updatedAt)
            let deleted = try await client.send(.delete, path)
            #expect(deleted.status == .noContent)
            #expect(try await client.send(.get, path).status == .notFound)
            #expect(try await client.send(.delete, path).status == .notFound)
            #expect(try await client.send(.put, path, json: #"{"name": "Ghost"}"#).status == .notFound)
        }
    }

    @Test("statistics count projects by domain and status, with zero for absent values")
    func statistics() async throws {
        try await TestApp.withRouter { client in
            _ = try await client.createProject(domain: "enterprise")
            _ = try await client.createProject(domain: "enterprise")
            let response = try await client.send(.get, "/api/v1/projects/stats/overview")
            #expect(response.status == .ok)
            struct Statistics: Decodable {
                var total_projects: Int
                var projects_by_domain: [String: Int]
                var projects_by_status: [String: Int]
                var active_workflows: Int
            }
            let statistics = try response.decoded(Statistics.self)
            #expect(statistics.total_projects == 2)
            #expect(statistics.projects_by_domain == ["enterprise": 2, "cloud-native": 0, "data-platform": 0])
            #expect(statistics.projects_by_status["pending"] == 2)
            #expect(statistics.active_workflows == 0)
        }
    }
}
