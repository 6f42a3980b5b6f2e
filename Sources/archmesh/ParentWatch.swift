import Foundation

/// For child processes of the harness (`serve`, `worker`): once the process that started us is
/// gone, ask ourselves to shut down gracefully (SIGTERM takes the same path as an operator's).
enum ParentWatch {
    static func exitWhenGone(_ parent: Int32) {
        Task.detached {
            while getppid() == parent {
                try? await Task.sleep(for: .milliseconds(500))
            }
            kill(getpid(), SIGTERM)
        }
    }
}
