import Foundation
import Histogram
import LoadEngine

/// The latency percentile spectrum on HdrHistogram's log scale: corrected (from when each request was
/// due) and uncorrected (from when it was sent) curves, with the usual figures in a table.
extension HTMLReport {
    /// Points per decade of the percentile axis (90 to 99, 99 to 99.9, ...).
    static let spectrumPointsPerDecade = 20

    static func spectrum(_ load: LoadResult?) -> String {
        guard let load else { return notMeasured() }
        let corrected = load.histograms.corrected.histogram, uncorrected = load.histograms.uncorrected.histogram
        let count = max(corrected.totalCount, uncorrected.totalCount)
        guard count > 0 else { return notMeasured("No request finished: there is no latency to show.") }
        // Beyond 1 - 1/count every percentile is the max; stop at the decade that reaches it.
        let decades = min(5, max(2, Int(log10(Double(count)).rounded(.up))))
        let chart = SVGChart(
            title: "Latency by percentile (ms)", xLabel: "percentile", yLabel: "ms", xScale: .percentile,
            content: .lines([
                SVGChart.Series(name: "corrected (from the intended send time)", color: ChartPalette.corrected, points: curve(corrected, decades: decades)),
                SVGChart.Series(
                    name: "uncorrected (from the actual send)", color: ChartPalette.uncorrected, dashed: true, points: curve(uncorrected, decades: decades)),
            ]))
        let note = load.openModel
            ? "Open model: \(HTMLFormat.count(load.lateRequests)) requests sent more than 1 ms late (worst \(HTMLFormat.milliseconds(load.worstLatenessMilliseconds)) ms), "
                + "\(HTMLFormat.count(load.unsentRequests)) never sent."
            : "Closed model: each request is sent when the previous one is answered, so both curves coincide."
        let engine = load.engine.map { engine in
            " The load engine's busiest thread used \(Int(engine.busiestThreadPercent.rounded()))% of a core." + engine.warnings.map { " Warning: \($0)." }.joined()
        } ?? ""
        let columns: [HTMLTable.Column] = [
            .text("Latency"), .number("count"), .number("p50"), .number("p90"), .number("p99"), .number("p99.9"), .number("p99.99"),
            .number("max"), .number("mean"),
        ]
        let rows = [("corrected", load.latency), ("uncorrected", load.uncorrectedLatency)].map { name, summary in
            [name, HTMLFormat.count(Int(clamping: summary.count))]
                + [summary.p50, summary.p90, summary.p99, summary.p999, summary.p9999, summary.max, summary.mean].map(HTMLFormat.milliseconds)
        }
        return figure("Latency percentile spectrum (ms)", chart, note: note + engine) + HTMLTable(columns, rows: rows).render()
    }

    /// The histogram's value at evenly spaced points of the percentile axis, up to 1 - 10^-decades.
    static func curve(_ histogram: Histogram<UInt64>, decades: Int) -> [(x: Double, y: Double?)] {
        guard histogram.totalCount > 0 else { return [] }
        return (0...(decades * spectrumPointsPerDecade)).map { step in
            let percentile = 100 * (1 - pow(10, -Double(step) / Double(spectrumPointsPerDecade)))
            return (percentile, histogram.milliseconds(atPercentile: percentile))
        }
    }
}
