/// Failures of the database half, each with a message a user can act on.
public enum DatabaseError: Error, CustomStringConvertible, Sendable {
    case missingPostgres(hint: String)
    case cannotRunAsRoot(String)
    case noFreePort
    case clusterFailed(step: String, output: String)
    case invalidURL(String)
    case migrationFailed(version: Int, name: String, reason: String)
    case migrationsMissing(String)
    case seedMismatch(String)
    case persistentCluster(String)
    case tlsUnavailable(String)

    public var description: String {
        switch self {
        case .missingPostgres(let hint):
            return "PostgreSQL server programs (initdb, pg_ctl) not found; install them with: \(hint)"
        case .cannotRunAsRoot(let message):
            return message
        case .noFreePort:
            return "could not find a free TCP port on 127.0.0.1"
        case .clusterFailed(let step, let output):
            let tail = output.split(separator: "\n").suffix(8).joined(separator: "\n")
            return "PostgreSQL \(step) failed:\n\(tail)"
        case .invalidURL(let message):
            return "invalid DATABASE_URL: \(message)"
        case .migrationFailed(let version, let name, let reason):
            return "migration \(version) (\(name)) failed: \(reason)"
        case .migrationsMissing(let message):
            return "migrations not found: \(message)"
        case .seedMismatch(let message):
            return message
        case .persistentCluster(let message):
            return message
        case .tlsUnavailable(let message):
            return message
        }
    }

    /// True for errors that mean the machine or the input is wrong, not the run (exit code 2).
    public var isUsageError: Bool {
        switch self {
        case .missingPostgres, .cannotRunAsRoot, .invalidURL, .seedMismatch, .persistentCluster, .tlsUnavailable: return true
        default: return false
        }
    }
}
