import ArgumentParser
import Foundation
import Logging
import PerfSuite
import RunHistory

/// `archmesh history [list] | show RUN | trend --scenario KEY`: the runs recorded by `archmesh run`.
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List recorded runs, show a past run's report, or print a scenario's trend.",
        discussion: """
            Every `archmesh run` is recorded (unless --no-history) in ARCHMESH_HISTORY_URL's database, or in a \
            local cluster of its own that each command starts and stops (ARCHMESH_HISTORY_DIR to place it).
            """,
        subcommands: [List.self, Show.self, Trend.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The recorded runs, newest first.")

        @Option(help: "Only runs with this scenario.")
        var scenario: String?

        @Option(help: "Only runs of this build (the git commit the run was measured from; a prefix is enough).")
        var build: String?

        @Option(help: "Only runs started on or after this day (YYYY-MM-DD, UTC).", transform: History.parseDay)
        var since: Date?

        @Option(help: "At most this many runs.")
        var limit = 20

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = logging.makeLogger(label: "archmesh.history")
            try await History.using(logger: logger) { store, place in
                print(HistoryText.list(try await store.runs(scenario: scenario, build: build, since: since, limit: limit), place: place))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A past run's report, rebuilt from the history as it was written.")

        @Argument(help: "The run's number (see `archmesh history`), or `last`.")
        var run: String

        @Option(help: "Also write the report as JSON here.")
        var json: String?

        @OptionGroup var outputs: ReportOutputs

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = logging.makeLogger(label: "archmesh.history")
            try await History.using(logger: logger) { store, _ in
                let id: Int64
                if run == "last" {
                    guard let newest = try await store.runs(limit: 1).first else { throw CommandFailure.badUsage("no recorded runs yet") }
                    id = newest.id
                } else {
                    guard let number = Int64(run), number > 0 else { throw CommandFailure.badUsage("'\(run)' is not a run's number; `archmesh history` lists them") }
                    id = number
                }
                switch try await store.recorded(run: id) {
                case .suite(let report):
                    print(CorrelationText.render(report, statements: 5, exemplars: 5))
                    if let json { try report.write(to: json) }
                    try outputs.write(report)
                case .capacity(let report):
                    print(CapacityText.conclusion(report))
                    if let json { try ReportOutputs.write(String(decoding: try ReportCoding.encoder.encode(report), as: UTF8.self), to: json) }
                    if let html = outputs.html { try ReportOutputs.write(CapacityHTML.render(report), to: html) }
                    if outputs.junit != nil { throw CommandFailure.badUsage("run \(id) is a capacity search: no JUnit report (--html and --json are)") }
                }
            }
        }
    }

    struct Trend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A scenario's p50/p95/p99, throughput and error rate over its last runs, each judged against the one before.")

        @Option(help: "The scenario's key.")
        var scenario: String

        @Option(help: "How many of its last complete runs.")
        var last = 10

        @Option(help: "Only runs started on or after this day (YYYY-MM-DD, UTC), e.g. 30 days back for a monthly objective share.", transform: History.parseDay)
        var since: Date?

        @Option(help: "Also draw the trend as one self-contained HTML page here (charts as SVG, regressions marked).")
        var html: String?

        @OptionGroup var tolerances: ToleranceOptions

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard (2...1_000).contains(last) else { throw ValidationError("--last must be 2 to 1000, got \(last)") }
        }

        func run() async throws {
            let logger = logging.makeLogger(label: "archmesh.history")
            try await History.using(logger: logger) { store, _ in
                let trend = try await HistoryTrend.build(scenario: scenario, last: last, since: since, from: store, settings: tolerances.settings)
                print(HistoryText.trend(trend))
                if let html { try ReportOutputs.write(HistoryText.html(trend), to: html) }
            }
        }
    }

    /// Opens the history for `body`; a history that cannot be opened is a failure of this command
    /// (exit 1), with the reason.
    static func using(logger: Logger, _ body: (HistoryStore, String) async throws -> Void) async throws {
        do {
            try await HistoryLocation.with(logger: logger, body)
        } catch let error as CommandFailure {
            throw error
        } catch let error as HistoryError {
            throw CommandFailure.badUsage(error.description)
        } catch {
            throw CommandFailure.from(error)
        }
    }

    /// Records what a command measured (`insert` writes it and returns its number): the number,
    /// where, and how long it took; nil, with a warning, when the history cannot be reached, which
    /// never fails the command.
    static func record(
        _ subject: String, logger: Logger, _ insert: (HistoryStore) async throws -> Int64
    ) async -> (id: Int64, place: String, elapsed: Duration)? {
        let started = ContinuousClock.now
        do {
            return try await HistoryLocation.with(logger: logger) { store, place in
                (try await insert(store), place, ContinuousClock.now - started)
            }
        } catch {
            FileHandle.standardError.write(Data("warning: the \(subject) was not recorded in the history: \(error)\n".utf8))
            return nil
        }
    }

    static func parseDay(_ text: String) throws -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: text) else { throw ValidationError("--since takes a day as YYYY-MM-DD, got '\(text)'") }
        return date
    }
}
