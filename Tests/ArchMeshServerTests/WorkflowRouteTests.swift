@testable import ArchMeshServer
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Workflow routes")
struct WorkflowRouteTests {
    struct PageProbe: Decodable {
        var workflows: [WorkflowAnswer]
        var total: Int
        var page: Int
        var page_size: Int
        var has_next: Bool
    }

    @Test("a workflow's state is written compact, as stored, with the spaces, commas and colons inside its strings kept")
    func storedStateIsCompact() async throws {
        try await TestApp.withRouter { client in
            let project = try await client.createProject()
            let body = #"{"project_id": "\#(project.id.uuidString.lowercased())", "configuration": {"say": "a, b: \"c\" \\ d", "n": [1, 2.5, {}]}}"#
            let started = try await client.send(.post, "/api/v1/workflows/start", json: body)
            #expect(started.status == .created)
            let text = String(buffer: started.body)
            #expect(text.contains(#""configuration":{"n":[1,2.5,{}],"say":"a, b: \"c\" \\ d"}"#))
            #expect(!text.contains(", \"") && !text.contains("\": "))
        }
    }

    @Test("starting a workflow answers 201 with its status; a second start for the project is a 409")
    func startThenConflict() async throws {
        try await TestApp.withRouter { client in
            let project = try await client.createProject()
            let body = #"{"project_id": "\#(project.id.uuidString.lowercased())", "configuration": {"fast": true}}"#
            let started = try await client.send(.post, "/api/v1/workflows/start", json: body)
            #expect(started.status == .created)
            let status = try started.decoded(WorkflowAnswer.self)
            #expect(status.projectID == project.id)
            #expect(status.currentStage == "document_analysis")
            #expect(status.isActive)
            #expect(status.completedAt == nil)
            guard case .object(let state) = status.stateData else {
                Issue.record("state_data is not an object")
                return
            }
            #expect(state["current_stage"] == .string("document_analysis"))
            #expect(state["stage_progress"] == .number(0))
            let again = try await client.send(.post, "/api/v1/workflows/start", json: body)
            #expect(again.status == .conflict)
            #expect(again.errorBody?.error.fields.first?.field == "project_id")
        }
    }

    @Test("starting a workflow for an unknown project is a 404")
    func unknownProject() async throws {
        try await TestApp.withRouter { client in
            let response = try await client.send(.post, "/api/v1/workflows/start", json: #"{"project_id": "00000000-0000-4000-8000-000000000000"}"#)
            #expect(response.status == .notFound)
            #expect(response.errorBody?.error.code == "not_found")
        }
    }

    @Test("get and status answer the same session; an unknown one is a 404")
    func getAndStatus() async throws {
        try await TestApp.withRouter { client in
            let project = try await client.createProject()
            let started = try await client.send(
                .post, "/api/v1/workflows/start",
                json: #"{"project_id": "\#(project.id.uuidString.lowercased())", "initial_stage": "architecture_design"}"#)
            let status = try started.decoded(WorkflowAnswer.self)
            let id = status.sessionID.uuidString.lowercased()
            for path in ["/api/v1/workflows/\(id)", "/api/v1/workflows/\(id)/status"] {
                let response = try await client.send(.get, path)
                #expect(response.status == .ok)
                #expect(try response.decoded(WorkflowAnswer.self).currentStage == "architecture_design")
            }
            #expect(try await client.send(.get, "/api/v1/workflows/00000000-0000-4000-8000-000000000000").status == .notFound)
        }
    }

    @Test("the list filters by project, activity and stage, with and without a trailing slash")
    func listFilters() async throws {
        try await TestApp.withRouter(seedProjects: 100, workflowsPerProject: 2) { client in
            let all = try await client.send(.get, "/api/v1/workflows/?limit=100").decoded(PageProbe.self)
            #expect(all.total == 200)
            #expect(all.workflows.count == 100 && all.has_next)
            let same = try await client.send(.get, "/api/v1/workflows?limit=100").decoded(PageProbe.self)
            #expect(same.total == all.total)
            let active = try await client.send(.get, "/api/v1/workflows?is_active=true&limit=100").decoded(PageProbe.self)
            #expect(active.total > 0 && active.total < all.total && active.workflows.allSatisfy(\.isActive))
            let completed = try await client.send(.get, "/api/v1/workflows?stage=completed").decoded(PageProbe.self)
            #expect(completed.workflows.allSatisfy { $0.currentStage == "completed" && !$0.isActive })
            let project = all.workflows[0].projectID
            let mine = try await client.send(.get, "/api/v1/workflows?project_id=\(project.uuidString.lowercased())").decoded(PageProbe.self)
            #expect(mine.total == 2 && mine.workflows.allSatisfy { $0.projectID == project })
        }
    }
}
