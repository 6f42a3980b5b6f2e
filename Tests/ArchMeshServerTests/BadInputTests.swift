@testable import ArchMeshServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

/// Every bad input gets a 4xx with the error body naming the field; none reaches a 500.
@Suite("Bad input")
struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var body: String?
        var status: HTTPResponse.Status
        var field: String?
        var testDescription: String { "\(method) \(path) \(body ?? "") → \(status.code) \(field ?? "")" }
    }

    static let bodyCases: [Case] = [
        Case(method: .post, path: "/api/v1/projects", body: #"{"name": "x", "domain": "#, status: .badRequest, field: "body"),
        Case(method: .post, path: "/api/v1/projects", body: "", status: .badRequest, field: "body"),
        Case(method: .post, path: "/api/v1/projects", body: "[1, 2]", status: .unprocessableContent, field: "body"),
        Case(method: .post, path: "/api/v1/projects", body: #"{"domain": "enterprise"}"#, status: .unprocessableContent, field: "name"),
        Case(method: .post, path: "/api/v1/projects", body: #"{"name": 42, "domain": "enterprise"}"#, status: .unprocessableContent, field: "name"),
        Case(method: .post, path: "/api/v1/projects", body: #"{"name": "", "domain": "enterprise"}"#, status: .unprocessableContent, field: "name"),
        Case(method: .post, path: "/api/v1/projects", body: #"{"name": "\#(String(repeating: "n", count: 201))", "domain": "enterprise"}"#, status: .unprocessableContent, field: "name"),
        Case(method: .post, path: "/api/v1/projects", body: #"{"name": "ok", "description": "\#(String(repeating: "d", count: 1001))", "domain": "enterprise"}"#, status: .unprocessableContent, field: "description"),
        Case(method: .post, path: "/api/v1/projects", body: #"{"name": "ok", "domain": "mainframe"}"#, status: .unprocessableContent, field: "domain"),
        Case(method: .post, path: "/api/v1/projects", body: #"{"name": "ok", "domain": true}"#, status: .unprocessableContent, field: "domain"),
        Case(method: .put, path: "/api/v1/projects/00000000-0000-4000-8000-000000000000", body: #"{"status": "archived"}"#, status: .unprocessableContent, field: "status"),
        Case(method: .put, path: "/api/v1/projects/not-a-uuid", body: #"{"name": "x"}"#, status: .unprocessableContent, field: "project_id"),
        Case(method: .post, path: "/api/v1/workflows/start", body: #"{}"#, status: .unprocessableContent, field: "project_id"),
        Case(method: .post, path: "/api/v1/workflows/start", body: #"{"project_id": "12345"}"#, status: .unprocessableContent, field: "project_id"),
        Case(method: .post, path: "/api/v1/workflows/start", body: #"{"project_id": "00000000-0000-4000-8000-000000000000", "initial_stage": "lunch"}"#, status: .unprocessableContent, field: "initial_stage"),
        Case(method: .post, path: "/api/v1/workflows/start", body: #"{"project_id": "00000000-0000-4000-8000-000000000000", "configuration": "fast"}"#, status: .unprocessableContent, field: "configuration"),
    ]

    static let queryCases: [Case] = [
        Case(method: .get, path: "/api/v1/projects?limit=0", status: .unprocessableContent, field: "limit"),
        Case(method: .get, path: "/api/v1/projects?limit=101", status: .unprocessableContent, field: "limit"),
        Case(method: .get, path: "/api/v1/projects?limit=ten", status: .unprocessableContent, field: "limit"),
        Case(method: .get, path: "/api/v1/projects?skip=-1", status: .unprocessableContent, field: "skip"),
        Case(method: .get, path: "/api/v1/projects?skip=99999999999999999999999", status: .unprocessableContent, field: "skip"),
        Case(method: .get, path: "/api/v1/projects?domain=mainframe", status: .unprocessableContent, field: "domain"),
        Case(method: .get, path: "/api/v1/projects?status_filter=archived", status: .unprocessableContent, field: "status_filter"),
        Case(method: .get, path: "/api/v1/projects?search=\(String(repeating: "s", count: 201))", status: .unprocessableContent, field: "search"),
        Case(method: .get, path: "/api/v1/projects?search=", status: .unprocessableContent, field: "search"),
        Case(method: .get, path: "/api/v1/projects/not-a-uuid", status: .unprocessableContent, field: "project_id"),
        Case(method: .delete, path: "/api/v1/projects/1234", status: .unprocessableContent, field: "project_id"),
        Case(method: .get, path: "/api/v1/workflows?limit=500", status: .unprocessableContent, field: "limit"),
        Case(method: .get, path: "/api/v1/workflows?is_active=maybe", status: .unprocessableContent, field: "is_active"),
        Case(method: .get, path: "/api/v1/workflows?stage=lunch", status: .unprocessableContent, field: "stage"),
        Case(method: .get, path: "/api/v1/workflows?project_id=nope", status: .unprocessableContent, field: "project_id"),
        Case(method: .get, path: "/api/v1/workflows/not-a-uuid", status: .unprocessableContent, field: "session_id"),
        Case(method: .get, path: "/api/v1/workflows/not-a-uuid/status", status: .unprocessableContent, field: "session_id"),
    ]

    @Test("bad bodies and parameters get a 4xx naming the field", arguments: bodyCases + queryCases)
    func rejected(_ bad: Case) async throws {
        try await TestApp.withRouter { client in
            let response = try await client.send(bad.method, bad.path, json: bad.body)
            #expect(response.status == bad.status)
            let error = try #require(response.errorBody, "the error body of DESIGN.md")
            if let field = bad.field {
                #expect(error.error.fields.map(\.field).contains(field), "\(error.error.fields)")
            }
            #expect(!error.error.message.isEmpty)
            #expect(response.headers[HTTPField.Name("X-Request-ID")!] != nil)
        }
    }

    @Test("every problem of a body is listed at once")
    func listsEveryField() async throws {
        try await TestApp.withRouter { client in
            let response = try await client.send(.post, "/api/v1/projects", json: #"{"name": 1, "description": [], "domain": "x"}"#)
            #expect(Set(response.errorBody?.error.fields.map(\.field) ?? []) == ["name", "description", "domain"])
        }
    }

    @Test("a body over the limit is refused with 413 before it is read whole")
    func oversizedBody() async throws {
        try await TestApp.withRouter { client in
            let big = #"{"name": "x", "domain": "enterprise", "description": "\#(String(repeating: "a", count: 200_000))"}"#
            let response = try await client.send(.post, "/api/v1/projects", json: big)
            #expect(response.status == .contentTooLarge)
            #expect(response.errorBody?.error.code == "payload_too_large")
            #expect(response.errorBody?.error.fields.first?.field == "body")
        }
    }

    @Test("an unknown path is a JSON 404; a known path with the wrong method is a 405 with Allow")
    func notFoundAndMethodNotAllowed() async throws {
        try await TestApp.withRouter { client in
            let missing = try await client.send(.get, "/api/v1/nothing-here")
            #expect(missing.status == .notFound)
            #expect(missing.errorBody?.error.code == "not_found")
            let wrong = try await client.send(.delete, "/api/v1/projects")
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow] == "GET, POST")
            #expect(wrong.errorBody?.error.code == "method_not_allowed")
            let unknownProject = try await client.send(.get, "/api/v1/projects/00000000-0000-4000-8000-000000000000")
            #expect(unknownProject.status == .notFound)
        }
    }

    @Test("quotes and SQL in inputs are stored and searched as plain text")
    func sqlIsBound() async throws {
        try await TestApp.withRouter { client in
            let name = #"Robert'); DROP TABLE projects;--"#
            let created = try await client.send(.post, "/api/v1/projects", json: #"{"name": "\#(name)", "domain": "enterprise"}"#)
            #expect(created.status == .created)
            #expect(try created.decoded(Project.self).name == name)
            let search = try await client.send(.get, "/api/v1/projects?search=%27%29%3B%20DROP")
            #expect(search.status == .ok)
            #expect(String(buffer: search.body).contains(#""total":1"#))
        }
    }
}
