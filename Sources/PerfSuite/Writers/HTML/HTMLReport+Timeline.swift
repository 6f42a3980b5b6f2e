import LoadEngine
import TargetMonitoring

/// The per-second charts: latency, throughput, and the server's and PostgreSQL's CPU and memory.
extension HTMLReport {
    static func timelineParts(_ result: ScenarioResult) -> String {
        let points = result.analysis?.timeline.points ?? []
        return [
            part("Latency over time", latencyOverTime(points, correlation: result.analysis?.timeline.databaseLatencyCorrelation)),
            part("Throughput over time", throughputOverTime(points, errorWindows: result.analysis?.timeline.errorWindows ?? [])),
            part("CPU and memory over time", resourcesOverTime(points, resources: result.resources)),
        ].joined(separator: "\n")
    }

    static func latencyOverTime(_ points: [TimelinePoint], correlation: Double?) -> String {
        guard !points.isEmpty else { return notMeasured() }
        let chart = SVGChart(
            title: "Latency per second (ms)", xLabel: "second of the run", yLabel: "ms",
            content: .lines([
                perSecond("client p50", ChartPalette.clientP50, points, \.clientP50),
                perSecond("client p95", ChartPalette.clientP95, points, \.clientP95),
                perSecond("client p99", ChartPalette.clientP99, points, \.clientP99),
                perSecond("server app p95", ChartPalette.application, points, \.appP95),
            ]))
        let note = correlation.map {
            "Correlation of the per-second mean database time with the mean client latency: r = " + HTMLFormat.fixed($0, 2) + "."
        }
        return figure("Client percentiles and the server's app p95, per second", chart, note: note)
    }

    static func throughputOverTime(_ points: [TimelinePoint], errorWindows: [ErrorWindow]) -> String {
        guard !points.isEmpty else { return notMeasured() }
        let chart = SVGChart(
            title: "Requests and errors per second", xLabel: "second of the run", yLabel: "per second",
            content: .lines([
                perSecond("requests", ChartPalette.requests, points) { Double($0.requests) },
                perSecond("errors", ChartPalette.errors, points) { Double($0.errors) },
            ]))
        let note = errorWindows.isEmpty ? nil : "Errors (an outage shows as one window): " + errorWindows.map {
            "seconds \($0.startSecond)–\($0.endSecond), \($0.errors) of \($0.requests) requests failed"
        }.joined(separator: "; ") + "."
        return figure("Requests finished and errors, per second", chart, note: note)
    }

    /// CPU and memory from the timeline; from the raw resource samples when the timeline lacks them.
    static func resourcesOverTime(_ points: [TimelinePoint], resources: [ResourceSeries]) -> String {
        let server = resources.server, postgres = resources.postgres
        let timelineHasCPU = points.contains { $0.serverCPUPercent != nil || $0.postgresCPUPercent != nil }
        let timelineHasMemory = points.contains { $0.serverMemoryMB != nil }
        let cpu: [SVGChart.Series] = timelineHasCPU
            ? [perSecond("server CPU %", ChartPalette.serverCPU, points, \.serverCPUPercent),
               perSecond("PostgreSQL CPU %", ChartPalette.postgresCPU, points, \.postgresCPUPercent)]
            : [sampled("server CPU %", ChartPalette.serverCPU, server, \.cpuPercentOfMachine),
               sampled("PostgreSQL CPU %", ChartPalette.postgresCPU, postgres, \.cpuPercentOfMachine)]
        let memory = timelineHasMemory
            ? perSecond("server memory MB", ChartPalette.memory, points, \.serverMemoryMB)
            : sampled("server memory MB", ChartPalette.memory, server, \.memoryMB)
        guard cpu.contains(where: { !$0.points.isEmpty }) || !memory.points.isEmpty else { return notMeasured() }
        let xLabel = timelineHasCPU ? "second of the run" : "second of monitoring"
        let cpuChart = SVGChart(title: "CPU, percent of the machine", xLabel: xLabel, yLabel: "% of machine", content: .lines(cpu))
        let memoryChart = SVGChart(
            title: "Server resident memory (MB)", xLabel: timelineHasMemory ? "second of the run" : "second of monitoring", yLabel: "MB",
            content: .lines([memory]))
        let summaries = resources.map { series in
            "\(series.process) (\(series.source)): CPU mean \(HTMLFormat.percent(series.meanCPUPercent))%, max \(HTMLFormat.percent(series.maxCPUPercent))%; "
                + "memory max \(HTMLFormat.fixed(series.maxMemoryMB, 1)) MB, final \(HTMLFormat.fixed(series.finalMemoryMB, 1)) MB"
        }
        return "<div class=\"charts\">" + figure("CPU (100% = every core busy)", cpuChart) + figure("Server memory", memoryChart) + "</div>"
            + (summaries.isEmpty ? "" : list(summaries, className: "note"))
    }

    /// A timeline series: one point per second, nil where the second has no value.
    static func perSecond(_ name: String, _ color: String, _ points: [TimelinePoint], _ value: (TimelinePoint) -> Double?) -> SVGChart.Series {
        SVGChart.Series(name: name, color: color, points: points.map { (Double($0.second), value($0)) })
    }

    static func sampled(_ name: String, _ color: String, _ series: ResourceSeries?, _ value: KeyPath<ResourceSample, Double>) -> SVGChart.Series {
        SVGChart.Series(name: name, color: color, points: (series?.samples ?? []).map { ($0.second, $0[keyPath: value]) })
    }
}
