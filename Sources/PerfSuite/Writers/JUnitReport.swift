import Foundation

/// `--junit FILE`: the run as JUnit XML for CI systems, a test case per scenario and a failure per
/// violated threshold (and one for a scenario that could not run or was interrupted).
public enum JUnitReport {
    public static func render(_ report: SuiteReport) -> String {
        let failures = report.scenarios.filter { !$0.passed }.count
        let time = report.summary.endTime.timeIntervalSince(report.summary.startTime)
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<testsuites name="archmesh" tests="\#(report.scenarios.count)" failures="\#(failures)" time="\#(seconds(time))">"#,
            #"  <testsuite name="archmesh.scenarios" tests="\#(report.scenarios.count)" failures="\#(failures)" errors="0" time="\#(seconds(time))" timestamp="\#(ISO8601DateFormatter().string(from: report.summary.startTime))">"#,
        ]
        for result in report.scenarios {
            let name = result.key.markupEscaped
            let attributes = #"classname="archmesh.\#(result.type.rawValue.markupEscaped)" name="\#(name)" time="\#(seconds(result.durationSeconds))""#
            var body: [String] = []
            for violation in result.violations {
                body.append(
                    #"      <failure type="threshold.\#(violation.metric.markupEscaped)" message="\#(violation.message.markupEscaped)">\#(result.severity.rawValue.markupEscaped) severity: \#(violation.message.markupEscaped)</failure>"#)
            }
            if !result.passed && result.violations.isEmpty {
                let message = result.interrupted ? "interrupted" : (result.errors.first ?? "did not pass")
                body.append(#"      <failure type="run" message="\#(message.markupEscaped)">\#(result.errors.joined(separator: "\n").markupEscaped)</failure>"#)
            }
            let output = "\(result.totalRequests) requests, " + String(format: "%.1f req/s, avg %.2f ms, p95 %.2f ms, success %.2f%%", result.requestsPerSecond,
                result.averageResponseTimeMs, result.p95ResponseTimeMs, result.successRatePercent)
            body.append("      <system-out>\(output.markupEscaped)</system-out>")
            lines.append("    <testcase \(attributes)>")
            lines += body
            lines.append("    </testcase>")
        }
        lines += ["  </testsuite>", "</testsuites>", ""]
        return lines.joined(separator: "\n")
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }
}
