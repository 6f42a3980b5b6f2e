import ArchMeshDatabase
import Foundation
import LoadEngine
import Logging
import Observability
import PerfSuite
import PostgresNIO
import Synchronization
import TestSupport
import XCTest
import TargetMonitoring

/// A real `archmesh serve` child process (this build's) on a database of its own in the shared
/// embedded PostgreSQL: what the seventeen tests load, watch and break.
final class ReferenceServer: TargetEnvironment {
    let databaseURL: DatabaseURL
    let directory: URL
    private let options: ServerProcess.Options
    /// The running process and the faults set on it (set again on a restarted one).
    private let state: Mutex<(process: ServerProcess, faults: String?)>

    private init(process: ServerProcess, options: ServerProcess.Options, databaseURL: DatabaseURL, directory: URL, databaseLog: String?) {
        self.databaseLog = databaseLog
        self.options = options
        self.databaseURL = databaseURL
        self.directory = directory
        state = Mutex((process, nil))
    }

    var process: ServerProcess { state.withLock { $0.process } }

    /// Runs `body` against a fresh server and stops the server afterwards, whatever happens.
    /// `rateLimit`: `serve --rate-limit` and its burst.
    static func with<Result>(
        faults: Bool = false, database: DatabaseURL? = nil, poolSize: Int = 10, rateLimit: (rate: String, burst: Int)? = nil,
        _ body: (ReferenceServer) async throws -> Result
    ) async throws -> Result {
        try await withStarted({ try await start(faults: faults, database: database, poolSize: poolSize, rateLimit: rateLimit) }, stop: { await $0.stop() }, body)
    }

    /// Starts a server on `database` (migrated here), or on a new database of the shared cluster.
    static func start(faults: Bool, database: DatabaseURL? = nil, poolSize: Int = 10, rateLimit: (rate: String, burst: Int)? = nil) async throws -> ReferenceServer {
        let url: DatabaseURL
        if let database {
            try await Migrator.bundled().migrate(database, logger: TestDatabase.logger)
            url = database
        } else {
            url = try await TestDatabase.migratedDatabase(prefix: "perf")
        }
        try await StatementSnapshot.enable(in: url, logger: TestDatabase.logger)
        var databaseLog: String?
        if database == nil {
            if let reason = await PlanCapture.enable(in: url, logger: TestDatabase.logger) { XCTFail(reason) }
            databaseLog = try await TestDatabase.sharedCluster().logFile.path
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archmesh-perf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var options = ServerProcess.Options(executable: try executable(), database: url, logFile: directory.appendingPathComponent("server.log"))
        options.enableFaults = faults
        options.poolSize = poolSize
        options.rateLimit = rateLimit?.rate
        options.rateLimitBurst = rateLimit?.burst
        let process = try await ServerProcess.start(options)
        return ReferenceServer(process: process, options: options, databaseURL: url, directory: directory, databaseLog: databaseLog)
    }

    /// The `archmesh` executable built with the tests (it sits next to the test bundle).
    static func executable() throws -> String {
        if let path = ProcessInfo.processInfo.environment["ARCHMESH_EXECUTABLE"] { return path }
        let runner = URL(fileURLWithPath: CommandLine.arguments.first { $0.contains(".xctest") } ?? CommandLine.arguments[0])
        var directory = runner.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("archmesh").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw XCTSkip("the archmesh executable was not found next to \(runner.path); set ARCHMESH_EXECUTABLE")
    }

    // TargetEnvironment
    var target: LoadTarget { process.target }
    var database: DatabaseURL? { databaseURL }
    var serverLog: String? { process.logFile.path }
    /// The shared cluster's log, where `auto_explain` writes the plans of this server's database
    /// (nil when started on a database of another cluster).
    let databaseLog: String?
    var summary: String { "test server (pid \(process.pid)) at \(process.target)" }
    var monitorSource: ResourceMonitor.Source { .processes(server: .single(process.pid), postgres: nil) }
    var serverPID: Int32? { process.pid }

    func stop() async {
        await process.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A fresh server process on the same database, with the same faults.
    func restartServer() async throws -> Bool {
        await process.stop()
        let fresh = try await ServerProcess.start(options)
        let faults = state.withLock { $0.faults }
        if let faults { try await fresh.setFaults(faults) }
        state.withLock { $0.process = fresh }
        return true
    }

    /// Runs one scenario of the built-in suite through the suite runner, as `archmesh run` does.
    func run(_ key: String, scale: Double = 1, leakCycles: Int = 0) async throws -> ScenarioResult {
        let configuration = try SuiteConfiguration.builtIn()
        let scenario = try XCTUnwrap(configuration.scenarios.first { $0.key == key })
        return try await run(scenario, configuration: configuration, scale: scale, leakCycles: leakCycles)
    }

    func run(
        _ scenario: Scenario, configuration: SuiteConfiguration, scale: Double = 1, leakCycles: Int = 0, repetitions: Int = 1,
        profile: Bool = false, perf: String? = nil
    ) async throws -> ScenarioResult {
        var options = SuiteRunner.Options()
        options.profile = profile
        options.perf = perf
        options.scale = scale
        options.leakCycles = leakCycles
        options.repetitions = repetitions
        let runner = SuiteRunner(configuration: configuration, scenarios: [scenario], environment: self, options: options, logger: TestDatabase.logger)
        let report = await runner.run()
        return try XCTUnwrap(report.scenarios.first)
    }

    /// A plan against this server.
    func plan(_ endpoints: [Endpoint], _ model: LoadModel) -> LoadPlan {
        LoadPlan(target: target, endpoints: endpoints, model: model)
    }

    func setFaults(_ json: String) async throws {
        try await process.setFaults(json)
        state.withLock { $0.faults = json }
    }

    func clearFaults() async throws {
        try await process.clearFaults()
        state.withLock { $0.faults = nil }
    }

    /// The server process's own figures from /proc.
    var statistics: ProcessStatistics? { ProcessStatistics.of(pid: process.pid) }

    /// Runs one statement on the server's database.
    func execute(_ sql: String) async throws {
        try await databaseURL.withConnection(logger: TestDatabase.logger) { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
        }
    }

    /// One number from the server's database.
    func count(_ sql: String) async throws -> Int {
        try await databaseURL.withConnection(logger: TestDatabase.logger) { connection in
            var total = 0
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(Int.self) { total = value }
            return total
        }
    }
}
