import ArchMeshDatabase
import ArgumentParser

/// The exit codes every command shares: part of the interface, as the README lists them.
enum ExitStatus: Int32 {
    case success = 0
    /// A threshold failed, the job itself failed, or (`db status`) the cluster is not running.
    case failed = 1
    /// Bad usage or bad input: nothing ran, nothing was half-written.
    case badUsage = 2
    case regression = 3
    /// Stopped by Ctrl-C or SIGTERM; the report written so far is marked interrupted.
    case interrupted = 130
}

/// A failure a command reports as one line, with its exit code.
struct CommandFailure: Error {
    var message: String
    var exitStatus: ExitStatus

    static func badUsage(_ message: String) -> CommandFailure {
        CommandFailure(message: message, exitStatus: .badUsage)
    }

    /// The database layer's errors: the machine or the input is wrong (2), or the run failed (1).
    static func from(_ error: any Error) -> CommandFailure {
        if let failure = error as? CommandFailure { return failure }
        if let error = error as? DatabaseError {
            return CommandFailure(message: error.description, exitStatus: error.isUsageError ? .badUsage : .failed)
        }
        return CommandFailure(message: String(describing: error), exitStatus: .failed)
    }
}

extension ExitCode {
    /// ArgumentParser's exit for one of ours.
    init(_ status: ExitStatus) {
        self.init(status.rawValue)
    }
}
