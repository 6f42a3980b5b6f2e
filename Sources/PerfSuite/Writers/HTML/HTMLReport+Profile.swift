/// The server's on-CPU profile over a scenario: a flame graph (hover a frame for its name and
/// share) and the top frames by their own samples and with their callees.
extension HTMLReport {
    static func profile(_ profile: ServerProfile) -> String {
        let columns: [HTMLTable.Column] = [.text("Frame"), .number("samples"), .number("%")]
        func table(_ frames: [ServerProfile.Frame]) -> String {
            HTMLTable(columns, rows: frames.map { [String($0.name.prefix(160)), HTMLFormat.count($0.samples), HTMLFormat.fixed($0.percent, 1)] }).render()
        }
        let note = "perf record -g at \(profile.frequencyHz) Hz on the server's process: \(profile.samples) samples. Each frame is as wide as its samples, callers below their callees."
        return "<p class=\"note\">\(note.markupEscaped)</p><figure>\(FlameGraphSVG.render(profile))</figure>"
            + "<h4>Top frames by their own samples</h4>" + table(profile.topSelf) + "<h4>Top frames with their callees</h4>" + table(profile.topTotal)
    }
}
