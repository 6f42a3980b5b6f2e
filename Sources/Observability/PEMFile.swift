import Foundation

/// A PEM file a user named on the command line (a certificate, a key, an authority), read so that
/// any failure says which flag and which file, and what was wrong.
public enum PEMFile {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// `body(path)` once the file is known to be readable; any error it throws becomes a `Failure`
    /// naming `flag` and `path`.
    public static func read<Value>(_ path: String, flag: String, _ body: (String) throws -> Value) throws(Failure) -> Value {
        guard FileManager.default.isReadableFile(atPath: path) else { throw Failure(description: "\(flag) \(path): no such readable file") }
        do {
            return try body(path)
        } catch {
            throw Failure(description: "\(flag) \(path): not a PEM file of the expected kind (\(error))")
        }
    }
}
