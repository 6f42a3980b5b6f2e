import Foundation

/// The server a run sends load to: `http://host:port` or `https://host:port`, and an optional path prefix.
public struct LoadTarget: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case http, https

        var defaultPort: Int { self == .https ? 443 : 80 }
    }

    public var scheme: Scheme
    public var host: String
    public var port: Int
    /// Prefix for every endpoint's path ("" when the URL has none).
    public var basePath: String

    public init(scheme: Scheme = .http, host: String, port: Int, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `http[s]://host[:port][/prefix]`; the path of a URL with a query is split off by `split(url:)`.
    public init(url text: String) throws {
        guard let components = URLComponents(string: text), let schemeText = components.scheme?.lowercased() else {
            throw LoadEngineError.invalidURL("'\(text)' is not a URL such as http://127.0.0.1:8080")
        }
        guard let scheme = Scheme(rawValue: schemeText) else {
            throw LoadEngineError.invalidURL("'\(schemeText)' is not supported; http:// and https:// are")
        }
        guard let host = components.host, !host.isEmpty else { throw LoadEngineError.invalidURL("'\(text)' has no host") }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? scheme.defaultPort
        guard (1...65_535).contains(port) else { throw LoadEngineError.invalidURL("port \(port) is out of range") }
        let path = components.percentEncodedPath
        self.basePath = path == "/" ? "" : (path.hasSuffix("/") ? String(path.dropLast()) : path)
    }

    /// Splits a full URL into the target and the request path (with its query), as `archmesh load URL` takes it.
    public static func split(url text: String) throws -> (LoadTarget, String) {
        var target = try LoadTarget(url: text)
        let components = URLComponents(string: text)!
        var path = target.basePath.isEmpty ? "/" : target.basePath
        if let query = components.percentEncodedQuery { path += "?" + query }
        target.basePath = ""
        return (target, path)
    }

    /// True for 127.0.0.0/8, ::1 and localhost: the only places load goes without --allow-remote.
    public var isLoopback: Bool {
        let name = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let octets = name.split(separator: ".")
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Throws unless the target is loopback or remote load was allowed explicitly.
    public func requireLoopback(allowRemote: Bool) throws {
        if !isLoopback && !allowRemote { throw LoadEngineError.remoteTargetRefused(host) }
    }

    /// The `Host` header's value.
    var hostHeader: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public var description: String { "\(scheme.rawValue)://\(hostHeader)\(basePath)" }
}
