/// What PostgreSQL did during a scenario, and whether the client's, the server's and the database's
/// counts agree.
extension HTMLReport {
    static let longestQuery = 160

    static func statements(_ analysis: ScenarioAnalysis?) -> String {
        guard let analysis else { return notMeasured() }
        guard let statements = analysis.statements else { return notMeasured("pg_stat_statements not available.") }
        guard !statements.isEmpty else { return notMeasured("No statement ran during the scenario.") }
        let columns: [HTMLTable.Column] = [.markup("Query"), .number("calls"), .number("total ms"), .number("mean ms"), .number("rows")]
        let rows = statements.map { statement -> [String] in
            let query = statement.singleLineQuery
            let shown = query.count > longestQuery ? String(query.prefix(longestQuery - 1)) + "…" : query
            return [
                "<code title=\"\(query.markupEscaped)\">\(shown.markupEscaped)</code>", HTMLFormat.count(statement.calls),
                HTMLFormat.milliseconds(statement.totalMilliseconds), HTMLFormat.milliseconds(statement.meanMilliseconds),
                HTMLFormat.count(statement.rows),
            ]
        }
        return "<p class=\"note\">The busiest statements by total execution time, from pg_stat_statements read before and after.</p>"
            + HTMLTable(columns, rows: rows).render()
    }

    static func reconciliation(_ analysis: ScenarioAnalysis?) -> String {
        guard let counts = analysis?.reconciliation else { return notMeasured() }
        let unread = "not readable"
        let rows: [[String]] = [
            ["client requests", "finished by the client, answered or failed", HTMLFormat.count(counts.clientRequests)],
            ["client answered", "of those, the ones that got an HTTP response", HTMLFormat.count(counts.clientAnswered)],
            ["server requests", "counted by the server in /metrics", counts.serverRequests.map(HTMLFormat.count) ?? unread],
            ["server-reported queries", "the sum of dbq over the Server-Timing headers", HTMLFormat.count(counts.serverReportedQueries)],
            ["server-counted queries", "the server's db_query_duration_seconds count", counts.serverCountedQueries.map(HTMLFormat.count) ?? unread],
            ["database queries", "calls in pg_stat_statements", counts.databaseQueries.map(HTMLFormat.count) ?? unread],
        ]
        let table = HTMLTable([.text("Count"), .text("Witness"), .number("Value")], rows: rows).render()
        let verdict = counts.agrees
            ? "<p>\(badge("AGREE", "pass")) Every available pair of counts agrees.</p>"
            : "<p>\(badge("DISAGREE", "fail")) Some counts disagree or could not be read.</p>"
        return verdict + table + (counts.findings.isEmpty ? "" : list(counts.findings, className: "findings"))
            + (counts.notes.isEmpty ? "" : list(counts.notes))
    }
}
