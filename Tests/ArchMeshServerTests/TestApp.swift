import ArchMeshDatabase
@testable import ArchMeshServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Observability
import Testing
import TestSupport

/// Builds the server exactly as `archmesh serve` does, on a fresh database of its own.
enum TestApp {
    static func configuration(seedProjects: Int = 0, workflowsPerProject: Double = 0) async throws -> ServerConfiguration {
        let url = try await TestDatabase.migratedDatabase(prefix: "server")
        if seedProjects > 0 {
            _ = try await Seeder().seed(
                url, options: .init(projects: seedProjects, workflowsPerProject: workflowsPerProject), logger: TestDatabase.logger)
        }
        var configuration = ServerConfiguration(database: url)
        configuration.port = 0
        // The pool keeps every connection open; dozens of suites share one cluster, so keep each small.
        configuration.poolSize = 4
        return configuration
    }

    /// Runs `test` against the router of a server on a fresh database.
    static func withRouter<Value: Sendable>(
        seedProjects: Int = 0, workflowsPerProject: Double = 0, logger: Logger = TestDatabase.logger,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        var configuration = try await configuration(seedProjects: seedProjects, workflowsPerProject: workflowsPerProject)
        configure(&configuration)
        return try await buildApplication(configuration: configuration, logger: logger).test(.router, test)
    }

    /// Runs `test` against a live server on a free port (given to `test`), for tests that need real
    /// connections of their own: concurrent clients, slow ones, idle ones.
    static func withLiveServer(
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ test: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        var configuration = try await configuration()
        configure(&configuration)
        try await buildApplication(configuration: configuration, logger: TestDatabase.logger).test(.live) { client in
            // The framework's own client connects as the test starts, with five seconds to do it;
            // a test that then floods the server's accept queue must not leave it waiting there.
            // On a loaded machine this task may start later than a test's short header or idle
            // timeout, and the server has then rightly closed that connection: the connection was
            // made, which is all this wants, so a reset here is not the test's failure.
            _ = try? await client.execute(uri: "/health/live", method: .get)
            try await test(try #require(client.port))
        }
    }
}

/// The API's error body.
struct ErrorBody: Decodable {
    struct Content: Decodable {
        var code: String
        var message: String
        var fields: [FieldError]
    }
    var error: Content
}

extension TestResponse {
    func decoded<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }

    var errorBody: ErrorBody? { try? decoded(ErrorBody.self) }

    var serverTiming: ServerTiming? {
        headers[HTTPField.Name("Server-Timing")!].flatMap { ServerTiming(headerValue: $0) }
    }
}

extension TestClientProtocol {
    /// Sends a JSON body (given as text, so tests can send anything, malformed included).
    func send(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Creates a project and returns it.
    func createProject(name: String = "Payments Platform", domain: String = "cloud-native") async throws -> ProjectAnswer {
        let response = try await send(.post, "/api/v1/projects", json: #"{"name": "\#(name)", "domain": "\#(domain)"}"#)
        return try response.decoded(ProjectAnswer.self)
    }
}
