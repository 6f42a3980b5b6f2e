import ArchMeshDatabase

/// The exit codes every command shares.
enum ExitStatus {
    static let success: Int32 = 0
    static let thresholdFailed: Int32 = 1
    static let badUsage: Int32 = 2
    static let regression: Int32 = 3
}

/// A failure a command reports as one line, with its exit code.
struct CommandFailure: Error {
    var message: String
    var exitCode: Int32

    static func badUsage(_ message: String) -> CommandFailure {
        CommandFailure(message: message, exitCode: ExitStatus.badUsage)
    }

    /// The database layer's errors: the machine or the input is wrong (2), or the run failed (1).
    static func from(_ error: any Error) -> CommandFailure {
        if let failure = error as? CommandFailure { return failure }
        if let error = error as? DatabaseError {
            return CommandFailure(message: error.description, exitCode: error.isUsageError ? ExitStatus.badUsage : 1)
        }
        return CommandFailure(message: String(describing: error), exitCode: 1)
    }
}
