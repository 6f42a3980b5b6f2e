import ArchMeshDatabase
@testable import ArchMeshServer
import Foundation
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing
import TestSupport

@Suite("Metrics and OpenAPI")
struct ServiceDocumentTests {
    @Test("/metrics exposes request, query and pool-wait histograms, in-flight requests and process figures")
    func metrics() async throws {
        try await TestApp.withRouter(seedProjects: 10) { client in
            for _ in 0..<3 { _ = try await client.send(.get, "/api/v1/projects?limit=5") }
            _ = try await client.send(.get, "/api/v1/projects?limit=5&skip=1000")
            _ = try await client.send(.get, "/api/v1/projects/not-a-uuid")
            let response = try await client.send(.get, "/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = String(buffer: response.body)
            let listCount = text.split(separator: "\n").first {
                $0.hasPrefix("http_server_request_duration_seconds_count") && $0.contains(#"route="/api/v1/projects""#) && $0.contains(#"status="200""#)
            }
            #expect(listCount?.hasSuffix(" 4") == true, "\(listCount ?? "missing")")
            #expect(text.contains(#"route="/api/v1/projects/{project_id}""#) && text.contains(#"status="422""#))
            #expect(text.contains(#"db_query_duration_seconds_count{query="projects.page"} 4"#))
            #expect(text.contains(#"db_query_duration_seconds_count{query="projects.count"} 1"#), "only a page past the end counts apart")
            for name in ["db_pool_wait_duration_seconds_count", "db_pool_connections_max", "http_server_requests_in_flight", "process_cpu_seconds_total",
                         "process_resident_memory_bytes", "process_start_time_seconds"] {
                #expect(text.contains(name), "\(name)")
            }
        }
    }

    @Test("/openapi.json describes every route the router has, and nothing it lacks")
    func openAPICoversEveryRoute() async throws {
        let nowhere = DatabaseURL(host: "127.0.0.1", port: 1, username: "u", password: nil, database: "d")
        let metrics = ServerMetrics()
        let pool = try ConnectionPool(database: nowhere, maximumConnections: 1, acquireTimeout: .seconds(1), metrics: metrics, logger: TestDatabase.logger)
        var configuration = ServerConfiguration(database: nowhere)
        configuration.faultToken = "a-fault-token-of-20c"  // with every optional route
        let router = buildRouter(configuration: configuration, database: TimedDatabase(pool: pool, metrics: metrics), metrics: metrics)
        let routes = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })

        let document = try JSONDecoder().decode(JSONValue.self, from: Data(try OpenAPIDocument.bytes()))
        guard case .object(let root) = document, case .object(let paths)? = root["paths"] else {
            Issue.record("no paths in openapi.json")
            return
        }
        var described = Set<String>()
        for (path, item) in paths {
            guard case .object(let operations) = item else { continue }
            for method in operations.keys { described.insert("\(method.uppercased()) \(path)") }
        }
        #expect(routes.subtracting(described).isEmpty, "routes missing from openapi.json: \(routes.subtracting(described).sorted())")
        #expect(described.subtracting(routes).isEmpty, "openapi.json describes routes that do not exist: \(described.subtracting(routes).sorted())")
        #expect(routes.count >= 18)

        // A server without faults describes no fault route.
        let plain = try JSONDecoder().decode(JSONValue.self, from: Data(try OpenAPIDocument.bytes(includingFaults: false)))
        guard case .object(let plainRoot) = plain, case .object(let plainPaths)? = plainRoot["paths"] else { return }
        #expect(plainPaths["/_faults"] == nil)
        #expect(plainPaths.count == paths.count - 1)
    }

    @Test("/openapi.json is served as JSON")
    func openAPIIsServed() async throws {
        try await TestApp.withRouter { client in
            let response = try await client.send(.get, "/openapi.json")
            #expect(response.status == .ok)
            let document = try JSONDecoder().decode(JSONValue.self, from: Data(response.body.readableBytesView))
            guard case .object(let root) = document, case .object(let paths)? = root["paths"] else {
                Issue.record("not an OpenAPI document")
                return
            }
            #expect(root["openapi"] == .string("3.1.0"))
            #expect(paths["/_faults"] == nil, "this server has no fault routes, so its document describes none")
        }
    }
}
