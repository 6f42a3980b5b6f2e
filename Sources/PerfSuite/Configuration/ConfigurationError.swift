/// A scenario file that cannot be used: which file, where in it, and what is wrong.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var file: String
    /// `scenarios[3].users`, or `line 12, column 5` for a YAML syntax error.
    public var place: String
    public var message: String

    public var description: String { "\(file): \(place): \(message)" }
}
