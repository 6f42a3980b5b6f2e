import Foundation

/// One numbered schema file from `sql/`: `0002_projects.sql` is version 2, named `projects`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// Parses a file name of the form `NNNN_name.sql`; nil for anything else.
    public init?(fileName: String, sql: String) {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else { return nil }
        self.version = version
        self.name = String(stem[stem.index(after: underscore)...])
        self.sql = sql
    }

    /// The migrations shipped with the package, in version order.
    public static func bundled() throws -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw DatabaseError.migrationsMissing("the package's Migrations folder is not in its resource bundle")
        }
        return try load(from: folder)
    }

    /// The migrations in `folder`, in version order; two files with one version are an error.
    public static func load(from folder: URL) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        var migrations: [Migration] = []
        for name in names {
            let sql = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            if let migration = Migration(fileName: name, sql: sql) { migrations.append(migration) }
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw DatabaseError.migrationsMissing("two migrations have version \(next.version): \(previous.name), \(next.name)")
        }
        return migrations
    }
}
