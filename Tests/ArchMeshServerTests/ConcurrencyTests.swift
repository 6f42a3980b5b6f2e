import ArchMeshDatabase
@testable import ArchMeshServer
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Concurrency")
struct ConcurrencyTests {
    @Test("50 concurrent creates give exactly 50 rows and 50 distinct 201s")
    func concurrentCreates() async throws {
        try await TestApp.withLiveServer { client in
            let ids = try await withThrowingTaskGroup(of: Project?.self) { group in
                for number in 0..<50 {
                    group.addTask {
                        let response = try await client.send(.post, "/api/v1/projects", json: #"{"name": "Concurrent \#(number)", "domain": "enterprise"}"#)
                        return response.status == .created ? try response.decoded(Project.self) : nil
                    }
                }
                return try await group.reduce(into: [UUID]()) { if let project = $1 { $0.append(project.id) } }
            }
            #expect(ids.count == 50)
            #expect(Set(ids).count == 50)
            let list = try await client.send(.get, "/api/v1/projects?limit=1")
            #expect(String(buffer: list.body).contains(#""total":50"#))
        }
    }

    @Test("20 concurrent starts for one project give exactly one 201 and nineteen 409s")
    func concurrentStarts() async throws {
        try await TestApp.withLiveServer { client in
            let project = try await client.createProject()
            let body = #"{"project_id": "\#(project.id.uuidString.lowercased())"}"#
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.send(.post, "/api/v1/workflows/start", json: body).status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 19)
            let active = try await client.send(.get, "/api/v1/workflows?is_active=true")
            #expect(String(buffer: active.body).contains(#""total":1"#))
        }
    }
}
