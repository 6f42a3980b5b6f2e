import ArchMeshDatabase
@testable import ArchMeshServer
import Foundation
import HummingbirdTesting
import Logging
import Testing
import TestSupport
import Yams

@Suite("Configuration and safety")
struct ConfigurationSafetyTests {
    @Test("the server listens on 127.0.0.1:8080 unless told otherwise")
    func defaults() {
        let configuration = ServerConfiguration(database: DatabaseURL(host: "h", port: 1, username: "u", password: nil, database: "d"))
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
    }

    @Test("the database password appears in no log line and no response, even when login fails")
    func passwordNeverLeaks() async throws {
        let cluster = try await TestDatabase.sharedCluster()
        let secret = "hunter2-\(UInt32.random(in: 0...UInt32.max))"
        var url = cluster.url
        url.password = secret
        #expect(!url.description.contains(secret))
        let recorder = LogRecorder()
        var configuration = ServerConfiguration(database: url)
        configuration.migrateOnStart = false
        configuration.poolAcquireTimeout = .milliseconds(500)
        configuration.logEveryRequest = true
        try await buildApplication(configuration: configuration, logger: recorder.logger()).test(.router) { client in
            let health = try await client.send(.get, "/api/v1/health")
            #expect(health.status == .serviceUnavailable)
            #expect(!String(buffer: health.body).contains(secret))
            let list = try await client.send(.get, "/api/v1/projects")
            #expect(!String(buffer: list.body).contains(secret))
        }
        #expect(!recorder.recorded.isEmpty)
        #expect(recorder.recorded.allSatisfy { !$0.contains(secret) })
    }

    @Test("docker-compose.yml agrees with the server's defaults: port, credentials, database and schema files")
    func composeFileAgrees() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docker-compose.yml"), encoding: .utf8)
        let compose = try #require(try Yams.load(yaml: text) as? [String: Any])
        let services = try #require(compose["services"] as? [String: Any])
        let postgres = try #require(services["postgres"] as? [String: Any])
        let server = try #require(services["server"] as? [String: Any])

        let postgresEnvironment = try #require(postgres["environment"] as? [String: Any])
        let serverEnvironment = try #require(server["environment"] as? [String: Any])
        let url = try DatabaseURL(parsing: try #require(serverEnvironment["DATABASE_URL"] as? String))
        #expect(url.host == "postgres")
        #expect(url.username == postgresEnvironment["POSTGRES_USER"] as? String)
        #expect(url.password == postgresEnvironment["POSTGRES_PASSWORD"] as? String)
        #expect(url.database == postgresEnvironment["POSTGRES_DB"] as? String)
        #expect(url.port == 5432)

        let serverPorts = try #require(server["ports"] as? [String])
        #expect(serverPorts == ["127.0.0.1:\(ServerConfiguration.defaultPort):\(ServerConfiguration.defaultPort)"])
        let command = try #require(server["command"] as? [String])
        #expect(command.starts(with: ["serve"]))
        #expect(command.contains(String(ServerConfiguration.defaultPort)))

        let command2 = try #require(postgres["command"] as? [String])
        #expect(command2.contains("shared_preload_libraries=pg_stat_statements"))
        let volumes = try #require(postgres["volumes"] as? [String])
        let schemaMount = try #require(volumes.first { $0.hasSuffix(":/docker-entrypoint-initdb.d:ro") })
        let source = root.appendingPathComponent(String(schemaMount.split(separator: ":")[0]))
        let mounted = try Migration.load(from: source)
        #expect(mounted == (try Migration.bundled()), "the mounted files are the migrations the server applies")
    }
}
