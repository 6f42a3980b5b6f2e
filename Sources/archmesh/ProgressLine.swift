import Foundation
import LoadEngine

/// One refreshing status line on stderr while load runs, only when stderr is a terminal.
struct ProgressLine: Sendable {
    let enabled = isatty(STDERR_FILENO) == 1

    func show(_ progress: LiveProgress) {
        guard enabled else { return }
        let p95 = progress.lastSecondP95.map { String(format: "%.2f ms", $0) } ?? "-"
        let counts = String(
            format: "%6.1fs  %9d requests  %9.0f req/s", progress.elapsedSeconds, progress.finishedRequests, progress.currentRate)
        let line = "\r\u{1B}[2K\(counts)  p95 \(p95)  \(progress.failedRequests) errors"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// A short status in place of the counters (e.g. while a dataset is seeded).
    func note(_ text: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
