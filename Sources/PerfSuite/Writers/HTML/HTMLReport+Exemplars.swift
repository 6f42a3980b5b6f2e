import LoadEngine

/// The slowest requests with what the server said and logged about them, and a spike's phases.
extension HTMLReport {
    static func exemplars(_ result: ScenarioResult) -> String {
        let logged = result.analysis?.exemplars ?? result.load?.exemplars.map { LoggedExemplar(exemplar: $0, logLine: nil) }
        guard let logged else { return notMeasured() }
        guard !logged.isEmpty else { return notMeasured("No request was kept as an exemplar.") }
        let columns: [HTMLTable.Column] = [
            .markup("Request ID"), .text("Endpoint"), .text("Status"), .number("at s"), .number("latency ms"), .number("uncorrected ms"),
            .number("app ms"), .number("db ms"), .number("pool ms"), .number("queries"),
        ]
        let rows = logged.map { entry -> HTMLTable.Row in
            let exemplar = entry.exemplar, timing = exemplar.serverTiming
            let status = exemplar.error.map { exemplar.status > 0 ? "\(exemplar.status) (\($0.rawValue))" : $0.rawValue } ?? "\(exemplar.status)"
            let detail = entry.logLine.map { "<details><summary>server log line</summary><pre>\($0.markupEscaped)</pre></details>" }
            return HTMLTable.Row([
                "<code>\(exemplar.requestID.markupEscaped)</code>" + (exemplar.traceID.map { "<br><small>trace <code>\($0.markupEscaped)</code></small>" } ?? ""),
            exemplar.endpoint, status, HTMLFormat.fixed(exemplar.atSecond, 1),
                HTMLFormat.milliseconds(exemplar.latencyMilliseconds), HTMLFormat.milliseconds(exemplar.uncorrectedMilliseconds),
                HTMLFormat.milliseconds(timing?.appMilliseconds), HTMLFormat.milliseconds(timing?.databaseMilliseconds),
                HTMLFormat.milliseconds(timing?.poolMilliseconds), timing.map { HTMLFormat.count($0.queries) } ?? HTMLFormat.missing,
            ], detail: detail)
        }
        let found = logged.filter { $0.logLine != nil }.count
        let traced = logged.contains { $0.exemplar.traceID != nil } ? " Each carries the W3C trace ID it was sent in, for a tracing backend." : ""
        let note = "Slowest first; \(found) of \(logged.count) found in the server's log by request ID.\(traced) A dash: no Server-Timing on the response."
        return "<p class=\"note\">\(note.markupEscaped)</p>" + HTMLTable(columns, detailedRows: rows).render()
    }

    static func phases(_ phases: [PhaseResult]) -> String {
        guard !phases.isEmpty else { return notMeasured() }
        let columns: [HTMLTable.Column] = [
            .text("Phase"), .number("from s"), .number("to s"), .number("requests"), .number("req/s"), .number("p95 ms"), .number("errors %"),
        ]
        let rows = phases.map { phase in
            [
                phase.name, HTMLFormat.fixed(phase.startSecond, 1), HTMLFormat.fixed(phase.endSecond, 1), HTMLFormat.count(phase.requests),
                HTMLFormat.fixed(phase.requestsPerSecond, 1), HTMLFormat.milliseconds(phase.p95Ms), HTMLFormat.percent(phase.errorRatePercent),
            ]
        }
        return HTMLTable(columns, rows: rows).render()
    }
}
