import Distribution
import Foundation
import Subprocesses
import XCTest

/// `archmesh kubernetes manifests` against the Kubernetes schemas (kubernetes-validate, pinned,
/// offline, strict: no unknown field passes), and read back: the ConfigMap holds the scenario file
/// exactly, the workers are an Indexed Job with the environment a local worker gets, and the
/// coordinator listens where the Service sends them.
final class KubernetesManifestTests: XCTestCase {
    static var tools: URL { ReportOutputTests.packageRoot.appendingPathComponent(".build/test-tools/venv/bin") }

    func testManifestsPassTheKubernetesSchemasAndSayWhatTheyShould() async throws {
        let validate = Self.tools.appendingPathComponent("kubernetes-validate").path
        guard FileManager.default.isExecutableFile(atPath: validate) else {
            return XCTFail("kubernetes-validate is not installed at \(validate): run .ci/setup")
        }
        let directory = try DistributionTests.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A scenario file YAML must keep exactly: a tab, quotes, a colon, an empty line, a byte-order mark.
        let scenarios = directory.appendingPathComponent("mine.yaml")
        let text = DistributionTests.scenarios.replacingOccurrences(of: "description: open", with: "description: \"open: \\t 'rate'\"") + "\n\n#\tend \u{FEFF}\n"
        try text.write(to: scenarios, atomically: true, encoding: .utf8)

        for (name, arguments) in [
            ("built-in", ["--workers", "4", "--target", "http://archmesh-api.perf.svc:8080"]),
            ("mine", ["--workers", "3", "--target", "http://api:8080", "--config", scenarios.path, "--history-secret", "perf-history",
                      "--namespace", "perf", "--image", "registry.local/archmesh:1", "--scale", "0.5", "--scenarios", "spread_rate"]),
        ] {
            let made = try await ChildProcess.run(try ReferenceServer.executable(), ["kubernetes", "manifests"] + arguments)
            XCTAssertEqual(made.status, 0, made.text)
            let file = directory.appendingPathComponent("\(name).k8s.yaml")
            try made.text.write(to: file, atomically: true, encoding: .utf8)
            let checked = try await ChildProcess.run(validate, ["--strict", "-k", "1.34.0", file.path])
            XCTAssertEqual(checked.status, 0, checked.text)
            XCTAssertEqual(checked.text.components(separatedBy: " passed for resource ").count - 1, 5, checked.text)

            let documents = try await Self.read(file)
            let kinds = documents.map { "\($0["kind"] ?? "")/\((($0["metadata"] as? [String: Any])?["name"]) ?? "")" }
            XCTAssertEqual(kinds, [
                "ConfigMap/archmesh-scenarios", "PersistentVolumeClaim/archmesh-results", "Service/archmesh-coordinator",
                "Job/archmesh-coordinator", "Job/archmesh-workers",
            ])
            let data = try XCTUnwrap(documents[0]["data"] as? [String: String])
            let expected = name == "mine" ? text : try String(contentsOf: ReportOutputTests.packageRoot.appendingPathComponent("Sources/PerfSuite/Resources/scenarios.yaml"), encoding: .utf8)
            XCTAssertEqual(data["scenarios.yaml"], expected, "the scenario file, exactly")

            let workers = try XCTUnwrap(documents[4]["spec"] as? [String: Any])
            XCTAssertEqual(workers["completionMode"] as? String, "Indexed")
            XCTAssertEqual(workers["completions"] as? Int, name == "mine" ? 3 : 4)
            XCTAssertEqual(workers["parallelism"] as? Int, name == "mine" ? 3 : 4)
            let worker = try Self.container(of: workers)
            XCTAssertEqual(worker["args"] as? [String], ["worker"])
            let names = Set(((worker["env"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
            let local = Set(WorkerEnvironment.variables(coordinator: "x", index: 0, configPath: nil).keys)
            XCTAssertEqual(names.union([WorkerEnvironment.index]), local, "a pod gets what a local worker gets (the index from Kubernetes)")
            XCTAssertNotNil((worker["resources"] as? [String: Any])?["limits"])

            let coordinator = try Self.container(of: try XCTUnwrap(documents[3]["spec"] as? [String: Any]))
            let args = try XCTUnwrap(coordinator["args"] as? [String])
            XCTAssertEqual(Array(args.prefix(5)), ["run", "--workers", name == "mine" ? "3" : "4", "--external-workers", "--coordinator-listen"])
            XCTAssertEqual(args.contains("--no-history"), name != "mine", "recorded only with a history secret")
            let service = try XCTUnwrap(documents[2]["spec"] as? [String: Any])
            XCTAssertEqual(((service["ports"] as? [[String: Any]])?.first?["port"]) as? Int, KubernetesManifests.coordinatorPort)
            if name == "mine" {
                XCTAssertTrue(args.contains("spread_rate") && args.contains("0.5"), "\(args)")
                XCTAssertEqual((documents[3]["metadata"] as? [String: Any])?["namespace"] as? String, "perf")
            }
        }

        let bad = try await ChildProcess.run(try ReferenceServer.executable(), ["kubernetes", "manifests", "--workers", "2", "--target", "ftp://x"])
        XCTAssertEqual(bad.status, 2, bad.text)
        let unknown = try await ChildProcess.run(
            try ReferenceServer.executable(), ["kubernetes", "manifests", "--workers", "2", "--target", "http://x:1", "--scenarios", "nope"])
        XCTAssertEqual(unknown.status, 2, unknown.text)
        XCTAssertTrue(unknown.text.contains("unknown scenario nope"), unknown.text)
    }

    /// The YAML documents as JSON objects, read by PyYAML (in the tools' virtual environment).
    static func read(_ file: URL) async throws -> [[String: Any]] {
        let python = tools.appendingPathComponent("python").path
        let read = try await ChildProcess.run(
            python, ["-c", "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))", file.path])
        XCTAssertEqual(read.status, 0, read.text)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(read.text.utf8)) as? [[String: Any]])
    }

    static func container(of spec: [String: Any]) throws -> [String: Any] {
        let pod = try XCTUnwrap((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        return try XCTUnwrap((pod["containers"] as? [[String: Any]])?.first)
    }
}
