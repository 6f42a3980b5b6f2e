/// The environment a worker reads, the same whoever starts it: a pod of the Indexed Job (where
/// Kubernetes sets the index) or `archmesh run --workers` on this machine.
public enum WorkerEnvironment {
    /// `http://host:port` of the coordinator.
    public static let coordinator = "ARCHMESH_COORDINATOR"
    /// The worker's index, from 0: what Kubernetes gives each pod of an Indexed Job.
    public static let index = "JOB_COMPLETION_INDEX"
    /// The scenario file (unset or empty: the built-in one).
    public static let config = "ARCHMESH_CONFIG"

    /// Worker `index`'s environment.
    public static func variables(coordinator: String, index: Int, configPath: String?) -> [String: String] {
        [Self.coordinator: coordinator, Self.index: String(index), Self.config: configPath ?? ""]
    }
}
