import ArgumentParser
import Foundation
import PerfSuite

/// The report's other renderings, shared by `archmesh run` and `archmesh report`.
struct ReportOutputs: ParsableArguments {
    @Option(help: "Also write the report as one self-contained HTML file (charts as SVG, no network needed).")
    var html: String?

    @Option(help: "Also write JUnit XML: a test case per scenario, a failure per violated threshold.")
    var junit: String?

    /// Writes whichever renderings were asked for; a path that cannot be written is exit code 2.
    func write(_ report: SuiteReport) throws {
        if let html { try Self.write(HTMLReport.render(report), to: html) }
        if let junit { try Self.write(JUnitReport.render(report), to: junit) }
    }

    static func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure.badUsage("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
