import ArgumentParser
import Distribution
import Foundation
import Logging
import PerfSuite

/// `run --workers N`: every scenario's load spread over N worker processes, merged exactly.
struct DistributionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Spread every scenario's load over this many worker processes (`archmesh worker`) and merge their results.",
        discussion: "Started here unless --external-workers; each gets a share of the users (closed model) or of the rate (open model)."))
    var workers: Int?

    @Flag(help: "Do not start the workers: wait for --workers of them started elsewhere (the pods of `archmesh kubernetes manifests`).")
    var externalWorkers = false

    @Option(help: "Where workers reach the coordinator, HOST:PORT (default 127.0.0.1 and a free port; 0.0.0.0:7000 in a cluster).")
    var coordinatorListen: String?

    @Option(help: "Give up a worker not heard from for this many seconds while a scenario runs.")
    var workerSilence: Double = 5

    @Flag(help: ArgumentHelp(
        "Run each local worker in a network namespace of its own, bridged to the coordinator and the server as pods are (needs root and iproute2).",
        discussion: "The server this command starts, and the coordinator, then listen on the bridge's address instead of loopback."))
    var workerNamespaces = false

    func validate() throws {
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers must be 1 to 256, got \(workers)") }
        if workers == nil && (externalWorkers || coordinatorListen != nil) {
            throw ValidationError("--external-workers and --coordinator-listen need --workers N")
        }
        if let coordinatorListen, Self.split(coordinatorListen) == nil {
            throw ValidationError("--coordinator-listen must be HOST:PORT, got \(coordinatorListen)")
        }
        guard workerSilence >= 1, workerSilence <= 3600 else { throw ValidationError("--worker-silence must be 1 to 3600 seconds") }
        if workerNamespaces && (workers == nil || externalWorkers || coordinatorListen != nil) {
            throw ValidationError("--worker-namespaces needs --workers N started here, and chooses where the coordinator listens itself")
        }
        if workerNamespaces, let workers, workers > WorkerNetwork.largestSize {
            throw ValidationError("--worker-namespaces takes at most \(WorkerNetwork.largestSize) workers, got \(workers)")
        }
    }

    static func split(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    /// With --worker-namespaces: a namespace per worker and the bridge between them and this machine.
    func makeNetwork() async throws -> WorkerNetwork? {
        guard workerNamespaces, let workers else { return nil }
        do {
            return try await WorkerNetwork.create(workers: workers)
        } catch {
            throw CommandFailure(message: "--worker-namespaces: \(error)", exitStatus: .failed)
        }
    }

    /// The coordinator and, unless external, its local workers (in `network`'s namespaces when
    /// given), once every worker has registered.
    func start(configuration: SuiteConfiguration, configPath: String?, logStem: URL, network: WorkerNetwork?, logger: Logger) async throws -> WorkerPool? {
        guard let workers else { return nil }
        var options = Coordinator.Options(workers: workers, scenarioDigest: configuration.digest)
        if let listen = coordinatorListen.flatMap(Self.split) {
            options.host = listen.host
            options.port = listen.port
        }
        if let network { options.host = network.hostAddress }
        options.silenceLimit = .milliseconds(Int64(workerSilence * 1000))
        let coordinator: Coordinator
        do {
            coordinator = try await Coordinator.start(options, logger: logger)
        } catch {
            throw CommandFailure.badUsage("the coordinator \(error)")
        }
        let reachable = "http://\(options.host == "0.0.0.0" ? "127.0.0.1" : options.host):\(coordinator.port)"
        FileHandle.standardError.write(Data("Coordinator: \(options.host):\(coordinator.port), waiting for \(workers) workers\n".utf8))
        var local: LocalWorkers?
        if !externalWorkers {
            do {
                local = try LocalWorkers.start(
                    executable: ServerProcess.currentExecutable, count: workers, coordinator: reachable,
                    configPath: configPath.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, logStem: logStem,
                    wrapper: { network?.wrapper(for: $0) ?? [] })
            } catch {
                await coordinator.finish(linger: .zero)
                throw CommandFailure(message: "cannot start the workers: \(error)", exitStatus: .failed)
            }
        }
        do {
            let started = local
            try await coordinator.gather { started?.exited }
        } catch {
            await coordinator.finish(linger: .zero)
            await local?.stop(grace: .zero)
            throw CommandFailure(message: "\(error)", exitStatus: .failed)
        }
        return WorkerPool(coordinator: coordinator, local: local)
    }
}

/// A distributed run's coordinator and the workers it started.
struct WorkerPool: Sendable {
    let coordinator: Coordinator
    let local: LocalWorkers?

    /// Tells the workers the run is over and waits for the local ones to exit.
    func stop() async {
        await coordinator.finish()
        await local?.stop()
    }
}
