/// Horizontal stacked bars: one bar per label, one coloured segment per layer, its total at the end.
extension SVGChart {
    static let barRowHeight = 28.0
    static let longestBarLabel = 40

    func renderBars(layers: [Key], bars: [Bar]) -> String {
        let totals = bars.map { $0.values.reduce(0) { $0 + Self.drawable($1) } }
        guard let most = totals.max(), most > 0 else { return empty() }
        let labelWidth = min(280, max(60, Double(bars.map { min($0.label.count, Self.longestBarLabel + 1) }.max() ?? 0) * 6.6 + 14))
        let legend = legend(layers, left: 16)
        let xAxis = ChartAxis.fitted(to: [0, most], scale: .linear, includeZero: true)
        let frame = Frame(
            left: labelWidth, top: legend.height + 8, width: Self.width - labelWidth - Self.rightMargin - 56,
            height: Self.barRowHeight * Double(bars.count))
        var body = [legend.markup, ticks(xAxis, horizontal: true, in: frame)]
        for (index, bar) in bars.enumerated() {
            let top = frame.top + Self.barRowHeight * Double(index) + 5, height = Self.barRowHeight - 10
            body.append(barLabel(bar.label, right: labelWidth - 8, y: top + height / 2 + 4))
            var start = 0.0
            for (layer, value) in zip(layers, bar.values) where Self.drawable(value) > 0 {
                let end = start + Self.drawable(value)
                guard let from = xAxis.fraction(of: start), let to = xAxis.fraction(of: end) else { break }
                body.append("<rect x=\"\(Self.number(frame.left + from * frame.width))\" y=\"\(Self.number(top))\" "
                    + "width=\"\(Self.number(max(0.5, (to - from) * frame.width)))\" height=\"\(Self.number(height))\" fill=\"\(layer.color)\">"
                    + "<title>\((layer.name + ": " + HTMLFormat.milliseconds(value) + " " + unit).markupEscaped)</title></rect>")
                start = end
            }
            let endX = frame.left + (xAxis.fraction(of: totals[index]) ?? 0) * frame.width
            body.append(text(HTMLFormat.milliseconds(totals[index]) + " " + unit, x: endX + 4, y: top + height / 2 + 4, color: ChartPalette.axis))
        }
        body.append(axisLines(frame))
        return svg(height: frame.bottom + 44, body)
    }

    /// A segment's width in value units: negative and non-finite values draw nothing.
    static func drawable(_ value: Double) -> Double {
        value.isFinite ? max(0, value) : 0
    }

    /// The bar's name, right-aligned before it; a long one is cut, whole in its tooltip.
    func barLabel(_ label: String, right: Double, y: Double) -> String {
        let shown = label.count > Self.longestBarLabel ? String(label.prefix(Self.longestBarLabel - 1)) + "…" : label
        return "<g><title>\(label.markupEscaped)</title>" + text(shown, x: right, y: y, anchor: "end") + "</g>"
    }
}
