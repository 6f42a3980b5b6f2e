import ArchMeshDatabase
import Logging

extension DatabaseProvision {
    /// Resolves the database for a command and says which one it is, turning a missing PostgreSQL
    /// into the one-line error with exit code 2.
    static func forCommand(logger: Logger) async throws -> DatabaseProvision {
        do {
            let provision = try await DatabaseProvision.resolve(logger: logger)
            logger.info("database", metadata: ["source": "\(provision.origin.rawValue)", "url": "\(provision.url)"])
            return provision
        } catch {
            throw CommandFailure.from(error)
        }
    }

    /// Runs `body` with the database, releasing an embedded cluster however `body` ends.
    static func with<Result>(logger: Logger, _ body: (DatabaseProvision) async throws -> Result) async throws -> Result {
        let provision = try await forCommand(logger: logger)
        do {
            let result = try await body(provision)
            await provision.release()
            return result
        } catch {
            await provision.release()
            throw error
        }
    }
}
