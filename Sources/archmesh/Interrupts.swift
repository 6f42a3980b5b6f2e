import Dispatch
import Foundation

/// Ctrl-C and SIGTERM for the commands that run load: the first cancels the work, which then ends
/// in order (a partial result, child processes stopped); a second one exits at once.
enum Interrupts {
    static func cancellingOnSignals<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = Task { try await body() }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let received = SignalCount()
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if received.increment() > 1 {
                    FileHandle.standardError.write(Data("\narchmesh: interrupted twice, exiting now\n".utf8))
                    exit(130)
                }
                FileHandle.standardError.write(Data("\narchmesh: interrupted; finishing what was measured (Ctrl-C again to quit now)\n".utf8))
                task.cancel()
            }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        return try await task.value
    }
}

private final class SignalCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}
