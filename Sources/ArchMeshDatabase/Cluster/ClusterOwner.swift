import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who runs the cluster: PostgreSQL refuses to run as root, so root hands it to the `postgres` user.
struct ClusterOwner: Sendable {
    /// Command prefix that runs a program as the owner (empty when that is the current user).
    let commandPrefix: [String]
    /// Owner's user and group IDs, to hand it the cluster's folder (nil when that is the current user).
    let ids: (uid: uid_t, gid: gid_t)?

    static func current() throws -> ClusterOwner {
        guard geteuid() == 0 else { return ClusterOwner(commandPrefix: [], ids: nil) }
        guard let entry = getpwnam("postgres") else {
            throw DatabaseError.cannotRunAsRoot(
                "running as root needs the `postgres` system user; install it with: \(PostgresBinaries.installHint)")
        }
        let ids = (uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
        for runuser in ["/usr/sbin/runuser", "/sbin/runuser"] where FileManager.default.isExecutableFile(atPath: runuser) {
            return ClusterOwner(commandPrefix: [runuser, "-u", "postgres", "--"], ids: ids)
        }
        throw DatabaseError.cannotRunAsRoot("running as root needs `runuser` (util-linux) to start PostgreSQL as `postgres`")
    }

    /// The full command line for `executable` run as the owner.
    func command(_ executable: URL, _ arguments: [String]) -> (URL, [String]) {
        let line = commandPrefix + [executable.path] + arguments
        return (URL(fileURLWithPath: line[0]), Array(line.dropFirst()))
    }

    /// Gives `path` to the owner.
    func own(_ path: String) {
        if let ids { _ = chown(path, ids.uid, ids.gid) }
    }
}
