import ArchMeshServer
import ArgumentParser
import Foundation
import Logging

/// `--log-level` and `--log-format`, shared by the commands that log.
struct LoggingOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "Least severe level logged: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Log lines as text or one JSON object per line.")
    var logFormat: Format = .text

    /// Bootstraps swift-log (once per process) and returns the command's logger.
    func makeLogger(label: String) -> Logger {
        let format = logFormat
        let level = logLevel
        LoggingBootstrap.once {
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler =
                    format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

private enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false

    /// ArgumentParser runs one command per process, on one task: a plain flag is enough.
    static func once(_ body: () -> Void) {
        guard !done else { return }
        done = true
        body()
    }
}
