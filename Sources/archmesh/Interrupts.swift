import Foundation
import UnixSignals

/// Ctrl-C and SIGTERM for the commands that run load: the first cancels the work, which then ends
/// in order (a partial result, child processes stopped); a second one exits at once.
enum Interrupts {
    static func cancellingOnSignals<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let work = Task { try await body() }
        let watcher = Task {
            var received = 0
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                received += 1
                if received > 1 {
                    FileHandle.standardError.write(Data("\narchmesh: interrupted twice, exiting now\n".utf8))
                    exit(ExitStatus.interrupted.rawValue)
                }
                FileHandle.standardError.write(Data("\narchmesh: interrupted; finishing what was measured (Ctrl-C again to quit now)\n".utf8))
                work.cancel()
            }
        }
        defer { watcher.cancel() }
        return try await work.value
    }
}
