import ArchMeshDatabase
import Foundation
import PerfSuite
import Subprocesses
import TestSupport
import XCTest

/// The server against its own OpenAPI document, by schemathesis (pinned, seeded, bounded, every
/// check): valid and invalid data for every operation, stateful sequences, undeclared methods.
/// `.ci/setup` installs it into `.build/test-tools/venv`; a missing schemathesis fails this test.
final class ContractTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var schemathesis: String {
        ProcessInfo.processInfo.environment["ARCHMESH_SCHEMATHESIS"] ?? packageRoot.appendingPathComponent(".build/test-tools/venv/bin/st").path
    }

    func testSchemathesisFindsNoFailureInAnyOperation() async throws {
        let st = Self.schemathesis
        guard FileManager.default.isExecutableFile(atPath: st) else {
            return XCTFail("schemathesis is not installed at \(st): run .ci/setup (or set ARCHMESH_SCHEMATHESIS)")
        }
        let database = try await TestDatabase.migratedDatabase(prefix: "contract")
        _ = try await Seeder().seed(database, options: .init(projects: 50, workflowsPerProject: 0.5), logger: TestDatabase.logger)
        try await ReferenceServer.with(faults: true, database: database) { server in
            let token = try XCTUnwrap(server.process.faultToken)
            let spec = Self.packageRoot.appendingPathComponent("Sources/ArchMeshServer/Resources/openapi.json").path
            let config = Self.packageRoot.appendingPathComponent("Tests/Contract/schemathesis.toml").path
            let url = "http://\(server.target.host):\(server.target.port)"
            // Every operation without the fault token (the fault routes answer 403), then the fault
            // routes with it. st writes its state and reports where it runs: a directory of its own.
            let everything = try await run(st, ["--config-file", config, "run", spec, "--url", url], in: server.directory)
            let faults = try await run(st, ["--config-file", config, "run", spec, "--url", url, "--include-path", "/_faults",
                "-H", "X-Fault-Token: \(token)"], in: server.directory.appendingPathComponent("faults"))
            try await server.clearFaults()
            for (name, output) in [("every operation", everything), ("the fault routes", faults)] {
                let summary = output.text.split(separator: "\n").filter { $0.contains("test cases") || $0.contains("passed") || $0.contains("failed") }
                print("schemathesis, \(name): \(summary.suffix(3).joined(separator: " | "))")
                XCTAssertEqual(output.status, 0, "schemathesis found failures in \(name):\n\(output.text.suffix(6000))")
            }
        }
    }

    /// Runs `st` in `directory` (made if missing) and returns its status and output.
    private func run(_ executable: String, _ arguments: [String], in directory: URL) async throws -> ChildProcess.Output {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try await ChildProcess.run("/bin/sh", ["-c", "cd '\(directory.path)' && exec \(quoted)"])
    }
}
