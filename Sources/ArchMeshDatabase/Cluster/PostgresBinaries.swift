import Foundation

/// The installed PostgreSQL server programs the embedded cluster runs.
public struct PostgresBinaries: Sendable {
    /// Folder holding `initdb`, `pg_ctl` and `postgres`.
    public let directory: URL

    public var initdb: URL { directory.appendingPathComponent("initdb") }
    public var pgCtl: URL { directory.appendingPathComponent("pg_ctl") }

    /// The package that provides them on Debian and Ubuntu.
    public static let installHint = "apt-get install -y postgresql"

    /// Finds the server programs: `$ARCHMESH_PG_BIN`, then Debian's `/usr/lib/postgresql/<newest>/bin`,
    /// then the `PATH`.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresBinaries {
        var candidates: [URL] = []
        if let explicit = environment["ARCHMESH_PG_BIN"], !explicit.isEmpty {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        let debianRoot = URL(fileURLWithPath: "/usr/lib/postgresql")
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: debianRoot.path) {
            for version in versions.compactMap(Int.init).sorted(by: >) {
                candidates.append(debianRoot.appendingPathComponent("\(version)/bin"))
            }
        }
        for entry in (environment["PATH"] ?? "").split(separator: ":") {
            candidates.append(URL(fileURLWithPath: String(entry)))
        }
        for directory in candidates {
            let binaries = PostgresBinaries(directory: directory)
            if FileManager.default.isExecutableFile(atPath: binaries.initdb.path),
                FileManager.default.isExecutableFile(atPath: binaries.pgCtl.path)
            {
                // Debian puts initdb on the PATH through a wrapper; the real folder holds `postgres` too.
                let resolved = binaries.initdb.resolvingSymlinksInPath().deletingLastPathComponent()
                return PostgresBinaries(directory: resolved)
            }
        }
        throw DatabaseError.missingPostgres(hint: installHint)
    }
}
