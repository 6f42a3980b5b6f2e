import ArchMeshDatabase
@testable import ArchMeshServer
import Foundation
import Testing
import TestSupport

/// Many clients at once, each on a connection of its own, against a live server: the database's
/// rules must hold however the requests interleave.
@Suite("Concurrency")
struct ConcurrencyTests {
    /// Every request of a test waits this long at most: the machine running the tests is shared
    /// with every other suite, so this bounds a hang, not a speed.
    static let patience: Duration = .seconds(60)

    /// A live server whose requests wait for a pool connection as long as the clients do: 50
    /// requests on 4 connections must all be answered, however slowly, for the counts to mean anything.
    func withLiveServer(_ test: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await TestApp.withLiveServer(configure: { $0.poolAcquireTimeout = Self.patience }, test)
    }

    @Test("50 concurrent creates give exactly 50 rows and 50 distinct 201s")
    func concurrentCreates() async throws {
        try await withLiveServer { port in
            let answers = try await withThrowingTaskGroup(of: RawConnection.Answer.self) { group in
                for number in 0..<50 {
                    group.addTask {
                        try await RawConnection.exchange(
                            port: port, .post, "/api/v1/projects", json: #"{"name": "Concurrent \#(number)", "domain": "enterprise"}"#,
                            timeout: Self.patience)
                    }
                }
                return try await group.reduce(into: [RawConnection.Answer]()) { $0.append($1) }
            }
            #expect(answers.map(\.status) == Array(repeating: 201, count: 50))
            let ids = try answers.map { try JSONDecoder().decode(ProjectAnswer.self, from: Data($0.body.utf8)).id }
            #expect(Set(ids).count == 50)
            let list = try await RawConnection.exchange(port: port, .get, "/api/v1/projects?limit=1", timeout: Self.patience)
            #expect(list.body.contains(#""total":50"#))
        }
    }

    @Test("20 concurrent starts for one project give exactly one 201 and nineteen 409s")
    func concurrentStarts() async throws {
        try await withLiveServer { port in
            let created = try await RawConnection.exchange(
                port: port, .post, "/api/v1/projects", json: #"{"name": "Started at once", "domain": "enterprise"}"#, timeout: Self.patience)
            let project = try JSONDecoder().decode(ProjectAnswer.self, from: Data(created.body.utf8))
            let body = #"{"project_id": "\#(project.id.uuidString.lowercased())"}"#
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await RawConnection.exchange(port: port, .post, "/api/v1/workflows/start", json: body, timeout: Self.patience).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 19)
            let active = try await RawConnection.exchange(port: port, .get, "/api/v1/workflows?is_active=true", timeout: Self.patience)
            #expect(active.body.contains(#""total":1"#))
        }
    }
}
