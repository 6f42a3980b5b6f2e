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
            let error = try #require(response.errorBody, "the API's error body")
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
            #expect(wrong.headers[.allow] == "GET, HEAD, POST")
            #expect(wrong.errorBody?.error.code == "method_not_allowed")
            let unknownProject = try await client.send(.get, "/api/v1/projects/00000000-0000-4000-8000-000000000000")
            #expect(unknownProject.status == .notFound)
            // Any method, not only the common ones; and a written-out segment outranks a parameter,
            // so /workflows/start is the start route's path, never a session ID.
            let trace = try await client.send(HTTPRequest.Method("TRACE")!, "/health/live")
            #expect(trace.status == .methodNotAllowed)
            #expect(trace.headers[.allow] == "GET, HEAD")
            let start = try await client.send(.get, "/api/v1/workflows/start")
            #expect(start.status == .methodNotAllowed)
            #expect(start.headers[.allow] == "POST")
            let head = try await client.send(.head, "/health/live")
            #expect(head.status == .ok, "HEAD is answered wherever GET is")
        }
    }

    @Test("U+0000 anywhere in input is a 422 naming the field, never a database error")
    func nulCharacters() async throws {
        try await TestApp.withRouter { client in
            let project = try await client.createProject()
            let cases: [(HTTPRequest.Method, String, String?, String)] = [
                (.get, "/api/v1/projects?search=a%00b", nil, "search"),
                (.post, "/api/v1/projects", #"{"name": "a\u0000b", "domain": "enterprise"}"#, "name"),
                (.put, "/api/v1/projects/\(project.id.lowercasedString)", #"{"description": "x\u0000"}"#, "description"),
                (.post, "/api/v1/workflows/start", #"{"project_id": "\#(project.id.lowercasedString)", "context": {"notes": ["ok", "\u0000"]}}"#,
                    "context.notes[1]"),
                (.post, "/api/v1/workflows/start", #"{"project_id": "\#(project.id.lowercasedString)", "configuration": {"k\u0000": 1}}"#,
                    "configuration.k\u{0}"),
            ]
            for (method, path, body, field) in cases {
                let response = try await client.send(method, path, json: body)
                #expect(response.status == .unprocessableContent, "\(path)")
                #expect(response.errorBody?.error.fields.first?.field == field, "\(path)")
            }
        }
    }

    @Test("null is refused where the API does not allow it, and clears a description where it does")
    func nulls() async throws {
        try await TestApp.withRouter { client in
            let project = try await client.createProject()
            let path = "/api/v1/projects/\(project.id.lowercasedString)"
            for body in [#"{"status": null}"#, #"{"name": null}"#, #"{"domain": null}"#] {
                #expect(try await client.send(.put, path, json: body).status == .unprocessableContent, "\(body)")
            }
            let described = try await client.send(.put, path, json: #"{"description": "first"}"#)
            #expect(try described.decoded(ProjectAnswer.self).description == "first")
            let cleared = try await client.send(.put, path, json: #"{"description": null}"#)
            #expect(cleared.status == .ok)
            #expect(try cleared.decoded(ProjectAnswer.self).description == nil)
            let start = try await client.send(.post, "/api/v1/workflows/start", json: #"{"project_id": "\#(project.id.lowercasedString)", "context": null}"#)
            #expect(start.status == .unprocessableContent)
        }
    }

    @Test("quotes and SQL in inputs are stored and searched as plain text")
    func sqlIsBound() async throws {
        try await TestApp.withRouter { client in
            let name = #"Robert'); DROP TABLE projects;--"#
            let created = try await client.send(.post, "/api/v1/projects", json: #"{"name": "\#(name)", "domain": "enterprise"}"#)
            #expect(created.status == .created)
            #expect(try created.decoded(ProjectAnswer.self).name == name)
            let search = try await client.send(.get, "/api/v1/projects?search=%27%29%3B%20DROP")
            #expect(search.status == .ok)
            #expect(String(buffer: search.body).contains(#""total":1"#))
        }
    }
}
