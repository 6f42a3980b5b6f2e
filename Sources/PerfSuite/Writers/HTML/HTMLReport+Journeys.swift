import LoadEngine

/// A journey's run: journeys completed and failed (by the step that failed them) and how long they
/// took. Each step's own figures are its row in "Where the time went".
extension HTMLReport {
    static func journeys(_ journeys: JourneySummary) -> String {
        let columns: [HTMLTable.Column] = [
            .number("completed"), .number("failed"), .text("failed at"), .number("p50 ms"), .number("p95 ms"), .number("p99 ms"), .number("max ms"),
        ]
        let failedAt = journeys.failedAtStep.map { "\($0.step): \($0.journeys)" }.joined(separator: ", ")
        let row = [
            HTMLFormat.count(journeys.completed), HTMLFormat.count(journeys.failed), failedAt.isEmpty ? "-" : failedAt,
            HTMLFormat.milliseconds(journeys.duration.p50), HTMLFormat.milliseconds(journeys.duration.p95),
            HTMLFormat.milliseconds(journeys.duration.p99), HTMLFormat.milliseconds(journeys.duration.max),
        ]
        let note = "A journey's duration runs from when its first request was due to its last answer, think time included; "
            + "each step is a row of its own under “Where the time went”."
        return "<p class=\"note\">\(note.markupEscaped)</p>" + HTMLTable(columns, rows: [row]).render()
    }
}
