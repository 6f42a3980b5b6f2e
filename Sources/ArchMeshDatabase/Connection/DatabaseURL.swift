import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL database is and how to log in, parsed from a `postgres://` URL.
///
/// Its `description` never shows the password, so it is safe in logs and error messages.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// `sslmode` as libpq spells it; only the modes PostgresNIO can honour.
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode

    public init(host: String, port: Int, username: String, password: String?, database: String, tlsMode: TLSMode = .disable) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
    }

    /// Parses `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    public init(parsing text: String) throws {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else {
            throw DatabaseError.invalidURL("expected postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw DatabaseError.invalidURL("no host") }
        guard let user = components.user, !user.isEmpty else { throw DatabaseError.invalidURL("no user name") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.isEmpty ? self.username : database
        let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        guard let tlsMode = TLSMode(rawValue: mode) else {
            throw DatabaseError.invalidURL("sslmode '\(mode)' is not one of disable, prefer, require")
        }
        self.tlsMode = tlsMode
    }

    /// The full URL, password included: for child processes, never for logs.
    public var secretURLString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        if tlsMode != .disable { components.queryItems = [URLQueryItem(name: "sslmode", value: tlsMode.rawValue)] }
        return components.string ?? ""
    }

    /// The URL with the password replaced by `***`.
    public var description: String {
        let secret = password == nil ? "" : ":***"
        let query = tlsMode == .disable ? "" : "?sslmode=\(tlsMode.rawValue)"
        return "postgres://\(username)\(secret)@\(host):\(port)/\(database)\(query)"
    }

    /// The same server, another database on it.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// A single-connection configuration, for migrations and seeding. With `sslmode=require`, a TLS
    /// context that cannot be made is an error, never a silent fall back to plaintext.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try connectionTLS())
    }

    private func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch tlsMode {
        case .disable: return .disable
        // `prefer` means plaintext is acceptable when TLS is not to be had.
        case .prefer: return (try? .prefer(.init(configuration: .makeClientConfiguration()))) ?? .disable
        case .require:
            do {
                return .require(try .init(configuration: .makeClientConfiguration()))
            } catch {
                throw DatabaseError.tlsUnavailable("sslmode=require, but no TLS context could be made: \(error)")
            }
        }
    }
}

extension DatabaseURL {
    /// Opens one connection, runs `body`, closes it.
    public func withConnection<Result: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await PostgresConnection.connect(
            configuration: try connectionConfiguration(), id: Int.random(in: 1...Int(Int32.max)), logger: logger)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
