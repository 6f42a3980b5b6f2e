import Foundation

/// The YAML that runs a distributed run on Kubernetes: the scenario file as a ConfigMap, the
/// coordinator as a Job behind a Service the workers reach, the workers as an Indexed Job (each
/// pod's index from `JOB_COMPLETION_INDEX`), and a volume where the coordinator leaves the report.
public struct KubernetesManifests: Sendable {
    public var workers: Int
    public var image: String
    /// The service under test, as the pods reach it.
    public var target: String
    /// The scenario file's name (for the header) and its text.
    public var scenarioName: String
    public var scenarioText: String
    /// A Secret with the history's database URL under `url`; nil: the run is not recorded.
    public var historySecret: String?
    public var namespace: String?
    /// More `archmesh run` arguments for the coordinator (`--scenarios ...`, `--scale 0.5`).
    public var runArguments: [String] = []

    public static let coordinatorPort = 7000
    public static let dashboardPort = 8765

    public init(workers: Int, image: String, target: String, scenarioName: String, scenarioText: String) {
        self.workers = workers
        self.image = image
        self.target = target
        self.scenarioName = scenarioName
        self.scenarioText = scenarioText
    }

    public func render() -> String {
        header + "\n" + [configMap, resultsClaim, coordinatorService, coordinatorJob, workersJob].joined(separator: "\n---\n") + "\n"
    }

    private var header: String {
        """
        # archmesh: \(workers) load workers against \(Self.commentSafe(target)), scenarios from \(Self.commentSafe(scenarioName)).
        # kubectl apply -f this file; kubectl logs -f job/archmesh-coordinator follows the run;
        # the report is left in the archmesh-results volume (report.json, report.html).
        # Made by `archmesh kubernetes manifests`; the workers' version and scenario file must match the coordinator's.
        """
    }

    private var metadataNamespace: String { namespace.map { "\n  namespace: \(Self.quoted($0))" } ?? "" }

    private func labels(_ component: String, indent: String) -> String {
        "\(indent)app.kubernetes.io/name: archmesh\n\(indent)app.kubernetes.io/component: \(component)"
    }

    private var configMap: String {
        """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: archmesh-scenarios\(metadataNamespace)
          labels:
        \(labels("scenarios", indent: "    "))
        data:
          scenarios.yaml: \(Self.block(scenarioText, indent: "    "))
        """
    }

    private var resultsClaim: String {
        """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: archmesh-results\(metadataNamespace)
          labels:
        \(labels("results", indent: "    "))
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests:
              storage: 1Gi
        """
    }

    private var coordinatorService: String {
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: archmesh-coordinator\(metadataNamespace)
          labels:
        \(labels("coordinator", indent: "    "))
        spec:
          selector:
        \(labels("coordinator", indent: "    "))
          ports:
            - name: workers
              port: \(Self.coordinatorPort)
              targetPort: \(Self.coordinatorPort)
        """
    }

    private var coordinatorArguments: [String] {
        ["run", "--workers", String(workers), "--external-workers", "--coordinator-listen", "0.0.0.0:\(Self.coordinatorPort)",
         "--target", target, "--allow-remote", "--config", "/config/scenarios.yaml", "--output", "/results/report.json",
         "--html", "/results/report.html", "--junit", "/results/junit.xml", "--dashboard-port", String(Self.dashboardPort)]
            + (historySecret == nil ? ["--no-history"] : []) + runArguments
    }

    private var coordinatorJob: String {
        let history = historySecret.map { secret in
            """

                      env:
                        - name: ARCHMESH_HISTORY_URL
                          valueFrom:
                            secretKeyRef:
                              name: \(Self.quoted(secret))
                              key: url
            """
        } ?? ""
        return """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: archmesh-coordinator\(metadataNamespace)
              labels:
            \(labels("coordinator", indent: "    "))
            spec:
              backoffLimit: 0
              template:
                metadata:
                  labels:
            \(labels("coordinator", indent: "        "))
                spec:
                  restartPolicy: Never
                  containers:
                    - name: coordinator
                      image: \(Self.quoted(image))
                      args: [\(coordinatorArguments.map(Self.quoted).joined(separator: ", "))]\(history)
                      ports:
                        - name: workers
                          containerPort: \(Self.coordinatorPort)
                      resources:
                        requests: { cpu: 500m, memory: 256Mi }
                        limits: { cpu: "1", memory: 1Gi }
                      volumeMounts:
                        - { name: scenarios, mountPath: /config, readOnly: true }
                        - { name: results, mountPath: /results }
                  volumes:
                    - name: scenarios
                      configMap: { name: archmesh-scenarios }
                    - name: results
                      persistentVolumeClaim: { claimName: archmesh-results }
            """
    }

    private var workersJob: String {
        """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: archmesh-workers\(metadataNamespace)
          labels:
        \(labels("worker", indent: "    "))
        spec:
          completionMode: Indexed
          completions: \(workers)
          parallelism: \(workers)
          backoffLimit: 0
          template:
            metadata:
              labels:
        \(labels("worker", indent: "        "))
            spec:
              restartPolicy: Never
              containers:
                - name: worker
                  image: \(Self.quoted(image))
                  args: [worker]
                  env:
                    # \(WorkerEnvironment.index) is set by Kubernetes for each pod of an Indexed Job.
                    - { name: \(WorkerEnvironment.coordinator), value: "http://archmesh-coordinator:\(Self.coordinatorPort)" }
                    - { name: \(WorkerEnvironment.config), value: /config/scenarios.yaml }
                  resources:
                    requests: { cpu: "1", memory: 256Mi }
                    limits: { cpu: "2", memory: 1Gi }
                  volumeMounts:
                    - { name: scenarios, mountPath: /config, readOnly: true }
              volumes:
                - name: scenarios
                  configMap: { name: archmesh-scenarios }
        """
    }

    /// A YAML double-quoted scalar: `"` and backslash escaped, and every character YAML would not keep
    /// as itself inside one (controls, DEL, the Unicode line breaks, a byte-order mark) as a `\u` escape.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if needsEscape(scalar) { out += String(format: "\\u%04X", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// `text` as a literal block (readable) when YAML keeps it exactly so, else as a quoted scalar.
    static func block(_ text: String, indent: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let literal = text.hasSuffix("\n") && !text.hasSuffix("\n\n") && !text.unicodeScalars.contains { $0 != "\n" && needsEscape($0) || $0 == "\t" }
            && !(lines.first?.isEmpty ?? true) && !(lines.first?.hasPrefix(" ") ?? true)
        guard literal else { return quoted(text) }
        return "|\n" + lines.dropLast().map { $0.isEmpty ? "" : indent + $0 }.joined(separator: "\n")
    }

    /// One line of a comment: line breaks and other controls become spaces.
    static func commentSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { needsEscape($0) || $0 == "\n" || $0 == "\t" ? " " : $0 }))
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0xFEFF
            || (0x80...0x9F).contains(scalar.value)
    }
}
