/// The plans taken during a scenario, as trees with the nodes that took their time marked, and
/// the recommendations with their evidence.
extension HTMLReport {
    static func plans(_ analysis: ScenarioAnalysis?) -> String {
        guard let plans = analysis?.plans else {
            return notMeasured(
                "Not taken: the harness does not run this PostgreSQL (a --target or a DATABASE_URL), or could not set auto_explain on it (the run's log says why).")
        }
        guard !plans.isEmpty else { return notMeasured("No execution of a busy statement was sampled.") }
        let note = "auto_explain (log_analyze, log_buffers) on a sample of the server's own executions; the slowest of each busy statement. Marked: nodes with a third or more of the plan's own time."
        return "<p class=\"note\">\(note.markupEscaped)</p>" + plans.map { plan in
            "<details open><summary><code>\(String(plan.query.prefix(200)).markupEscaped)</code> (\(HTMLFormat.fixed(plan.durationMilliseconds, 3)) ms)</summary><pre>"
                + plan.treeLines.map { line in line.contains("<- ") ? "<strong>\(line.markupEscaped)</strong>" : line.markupEscaped }.joined(separator: "\n")
                + "</pre></details>"
        }.joined()
    }

    static func recommendations(_ analysis: ScenarioAnalysis?) -> String {
        guard let found = analysis?.recommendations else { return notMeasured() }
        guard !found.isEmpty else { return "<p class=\"held\">No rule found a cause to act on.</p>" }
        return found.map { recommendation in
            "<div class=\"endpoint\"><p><strong>\(recommendation.title.markupEscaped)</strong> <span class=\"note\">(\(recommendation.rule.markupEscaped))</span></p>"
                + list(recommendation.evidence) + "<p>Do: <code>\(recommendation.action.markupEscaped)</code></p>"
                + "<p class=\"note\">Expected: \(recommendation.expectedEffect.markupEscaped)</p></div>"
        }.joined()
    }
}
