import ArgumentParser
import Foundation
import PerfSuite

/// `archmesh report`: a saved report, read back and shown where its time went.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a saved report readably; optionally render it as HTML or JUnit XML.",
        discussion: "Exit codes: 0 the report was read, 2 it is missing or not an archmesh report.")

    @Argument(help: "The JSON report written by `archmesh run`.")
    var path: String

    @Option(help: "How many of the busiest statements to print per scenario.")
    var statements = 5

    @Option(help: "How many of the slowest requests to print per scenario.")
    var exemplars = 5

    @OptionGroup var outputs: ReportOutputs

    func run() async throws {
        let report: SuiteReport
        do {
            report = try SuiteReport.read(from: path)
        } catch let error as ReportError {
            throw CommandFailure.badUsage(error.description)
        }
        print(CorrelationText.render(report, statements: statements, exemplars: exemplars))
        try outputs.write(report)
    }
}
