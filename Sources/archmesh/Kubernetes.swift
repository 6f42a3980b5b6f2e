import ArgumentParser
import Distribution
import Foundation
import LoadEngine
import PerfSuite

/// `archmesh kubernetes`: what a distributed run needs on a cluster.
struct Kubernetes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the suite on Kubernetes with load workers as pods.", subcommands: [Manifests.self])

    /// `archmesh kubernetes manifests`: ready-to-apply YAML on stdout.
    struct Manifests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the YAML of a distributed run: scenarios ConfigMap, coordinator Job and Service, workers Indexed Job, results volume.",
            discussion: """
                kubectl apply -f the output, then follow `kubectl logs -f job/archmesh-coordinator`. The coordinator runs
                `archmesh run --workers N --external-workers` against --target; the workers run `archmesh worker`, the same
                command `archmesh run --workers N` starts on one machine. Both run the image built by the Dockerfile.
                """)

        @Option(help: "Load worker pods.")
        var workers: Int

        @Option(help: "The image with archmesh (the Dockerfile builds one that runs both roles).")
        var image = "archmesh-perf:latest"

        @Option(help: "A scenario file (YAML) instead of the built-in one; it goes into the ConfigMap.")
        var config: String?

        @Option(help: "The service under test as the pods reach it (e.g. http://archmesh-api.default.svc:8080).")
        var target: String

        @Option(help: "A Secret whose key `url` is the history's PostgreSQL URL; without it the run is not recorded.")
        var historySecret: String?

        @Option(help: "The namespace to put everything in (default: kubectl's).")
        var namespace: String?

        @Option(parsing: .upToNextOption, help: "Run only these scenarios (keys).")
        var scenarios: [String] = []

        @Option(help: "Multiply every scenario's requests and durations by this.")
        var scale: Double?

        func validate() throws {
            guard (1...256).contains(workers) else { throw ValidationError("--workers must be 1 to 256, got \(workers)") }
            do {
                _ = try LoadTarget(url: target)
            } catch let error as LoadEngineError {
                throw ValidationError("--target \(target): \(error.description)")
            }
            if let scale, !(scale > 0 && scale <= 100) { throw ValidationError("--scale must be more than 0 and at most 100, got \(scale)") }
        }

        func run() async throws {
            let text: String
            let suite: SuiteConfiguration
            do {
                if let config {
                    text = try String(contentsOfFile: config, encoding: .utf8)
                    suite = try SuiteConfiguration.load(path: config)
                } else {
                    text = try SuiteConfiguration.builtInText()
                    suite = try SuiteConfiguration.builtIn()
                }
                _ = try ScenarioSelection(keys: scenarios, type: nil, severity: nil).apply(to: suite)
            } catch let error as ConfigurationError {
                throw CommandFailure.badUsage(error.description)
            } catch let error as SuiteError {
                throw CommandFailure.badUsage(error.description)
            } catch {
                throw CommandFailure.badUsage("cannot read \(config ?? "the built-in scenarios"): \(error.localizedDescription)")
            }
            var manifests = KubernetesManifests(
                workers: workers, image: image, target: target, scenarioName: config.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "the built-in scenarios.yaml",
                scenarioText: text)
            manifests.historySecret = historySecret
            manifests.namespace = namespace
            if !scenarios.isEmpty { manifests.runArguments += ["--scenarios"] + scenarios }
            if let scale { manifests.runArguments += ["--scale", String(scale)] }
            print(manifests.render())
        }
    }
}
