import ArgumentParser
import Distribution
import Foundation
import Logging
import PerfSuite

/// `archmesh worker`: one worker of a run spread over several processes. A pod of the Indexed Job
/// and a child of `archmesh run --workers` take exactly this path, configured the same way.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run load as one worker of a distributed run (a Kubernetes pod, or a child of `run --workers`).",
        discussion: """
            Registers with the coordinator, runs its share of each scenario it is given, reports every second and
            its whole recording, and exits when the coordinator says the run is over.
            Environment (what a pod gets, and what `run --workers` gives its local workers): ARCHMESH_COORDINATOR,
            JOB_COMPLETION_INDEX (set by Kubernetes for an Indexed Job), ARCHMESH_CONFIG (a scenario file; the built-in
            one when unset or empty). Flags override them.
            Exit codes: 0 the run is over, 1 the coordinator is gone, 2 refused (another version or scenario file).
            """)

    @Option(help: "The coordinator, http://host:port (default: $ARCHMESH_COORDINATOR).")
    var coordinator: String?

    @Option(help: "This worker's index, from 0 (default: $JOB_COMPLETION_INDEX).")
    var index: Int?

    @Option(help: "The scenario file (default: $ARCHMESH_CONFIG, else the built-in one); it must be the coordinator's.")
    var config: String?

    @Option(help: ArgumentHelp("Exit when the process with this PID is gone.", visibility: .hidden))
    var exitWithParent: Int32?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = logging.makeLogger(label: "archmesh.worker")
        guard let coordinator = coordinator ?? environment[WorkerEnvironment.coordinator].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw CommandFailure.badUsage("say where the coordinator is: --coordinator http://host:port or \(WorkerEnvironment.coordinator)")
        }
        let indexText = index.map(String.init) ?? environment[WorkerEnvironment.index]
        guard let indexText, let index = Int(indexText), index >= 0 else {
            throw CommandFailure.badUsage("say which worker this is: --index N or \(WorkerEnvironment.index) (got \(indexText ?? "none"))")
        }
        let path = config ?? environment[WorkerEnvironment.config].flatMap { $0.isEmpty ? nil : $0 }
        let suite: SuiteConfiguration
        do {
            suite = try path.map(SuiteConfiguration.load(path:)) ?? SuiteConfiguration.builtIn()
        } catch let error as ConfigurationError {
            throw CommandFailure.badUsage(error.description)
        }
        if let exitWithParent { ParentWatch.exitWhenGone(exitWithParent) }
        do {
            try await DistributedWorker.run(DistributedWorker.Options(coordinator: coordinator, worker: index, configuration: suite), logger: logger)
        } catch let error as DistributionError {
            if case .refused = error { throw CommandFailure.badUsage(error.description) }
            throw CommandFailure(message: error.description, exitStatus: .failed)
        }
    }
}
