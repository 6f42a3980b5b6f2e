/// A database scenario's comparison as a terminal shows it: the ratio, the figures it comes
/// from, and each statement replayed or left out.
enum DatabaseComparisonText {
    private static func format(_ value: Double, _ decimals: Int) -> String { LoadSummaryText.format(value, decimals) }

    /// `API 1020.4 req/s, its database 8210.0 requests' worth/s for the same statements: 0.12x`.
    static func headline(_ comparison: DatabaseComparison) -> String {
        let api = "API \(format(comparison.apiRequestsPerSecond, 1)) req/s"
        guard let database = comparison.databaseRequestsPerSecond, let ratio = comparison.ratio else {
            return api + "; its database's throughput not measured: "
                + (comparison.failure ?? comparison.aborted.map { "pgbench stopped a client: \($0)" } ?? "pgbench completed no statement")
        }
        var line = api + ", its database \(format(database, 1)) requests' worth/s for the same statements at \(comparison.clients) connections: "
            + "\(format(ratio, 2))x"
        if let minRatio = comparison.minRatio { line += " (at least \(format(minRatio, 2))x wanted)" }
        return line
    }

    static func lines(_ comparison: DatabaseComparison, indent: String = "  ") -> [String] {
        var lines = [indent + "Database limit: " + headline(comparison)]
        lines += figures(comparison).map { indent + "  " + $0 }
        for statement in comparison.statements.prefix(10) {
            let head = "\(format(statement.callsPerRequest, 2)) per request, "
                + (statement.leftOut.map { "left out (\($0))" } ?? "replayed with \(statement.samples) set\(statement.samples == 1 ? "" : "s") of values")
            lines.append(indent + "  " + head + ": " + String(statement.query.prefix(120)) + (statement.query.count > 120 ? "..." : ""))
        }
        if comparison.statements.count > 10 { lines.append(indent + "  ... and \(comparison.statements.count - 10) more statements") }
        if let command = comparison.command { lines.append(indent + "  " + command) }
        return lines
    }

    /// pgbench's figures, and its error when it stopped a client.
    static func figures(_ comparison: DatabaseComparison) -> [String] {
        var lines: [String] = []
        if let perSecond = comparison.databaseStatementsPerSecond {
            var detail = "pgbench: \(format(perSecond, 1)) statements/s over \(comparison.seconds) s"
                + " (\(format(comparison.statementsPerRequest, 2)) statements a request)"
            if let latency = comparison.databaseLatencyMilliseconds { detail += ", latency average \(format(latency, 3)) ms" }
            if let failed = comparison.failedTransactions, failed > 0 { detail += ", \(failed) failed" }
            lines.append(detail)
        }
        if let aborted = comparison.aborted { lines.append("pgbench stopped a client: \(aborted)") }
        return lines
    }
}
