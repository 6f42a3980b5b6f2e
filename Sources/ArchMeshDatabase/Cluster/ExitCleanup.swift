import Foundation
import Synchronization

/// Stops embedded clusters still running when the process exits normally (a finished test run,
/// `exit()` after an error), so that not even the watchdog's short delay leaves PostgreSQL behind.
enum ExitCleanup {
    private static let live = Mutex<[ObjectIdentifier: EmbeddedCluster]>([:])
    private static let installed = Mutex(false)

    static func register(_ cluster: EmbeddedCluster) {
        live.withLock { $0[ObjectIdentifier(cluster)] = cluster }
        let install = installed.withLock { done in
            defer { done = true }
            return !done
        }
        if install { atexit { ExitCleanup.stopAll() } }
    }

    static func unregister(_ cluster: EmbeddedCluster) {
        _ = live.withLock { $0.removeValue(forKey: ObjectIdentifier(cluster)) }
    }

    /// Stops every registered cluster, blocking; safe to call from a signal-free exit path.
    static func stopAll() {
        let clusters = live.withLock { clusters in
            defer { clusters.removeAll() }
            return Array(clusters.values)
        }
        for cluster in clusters { cluster.stopBlocking() }
    }
}
