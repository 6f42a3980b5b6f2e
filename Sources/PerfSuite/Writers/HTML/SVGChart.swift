import Foundation

/// Every chart in the HTML report: a plot area with axes, ticks, grid lines and a legend, holding
/// lines (one per series) or horizontal stacked bars. Inline SVG with a viewBox, so it scales with
/// the page; a chart without data says so instead of drawing NaN.
struct SVGChart {
    /// A line; `y` is nil where nothing was measured, and the line breaks there.
    struct Series {
        var name: String
        var color: String
        var dashed = false
        var points: [(x: Double, y: Double?)]
    }

    /// One horizontal bar: a value per layer of the stack, drawn left to right.
    struct Bar {
        var label: String
        var values: [Double]
    }

    /// An entry of the legend.
    struct Key {
        var name: String
        var color: String
        var dashed = false
    }

    enum Content {
        case lines([Series])
        case stackedBars(layers: [Key], bars: [Bar])
    }

    /// What the chart shows, in words: the SVG's title for screen readers and tooltips.
    var title: String
    var xLabel: String
    var yLabel = ""
    /// Appended to values in tooltips ("ms").
    var unit = ""
    /// The x axis's scale; the y axis is always linear.
    var xScale = ChartScale.linear
    var content: Content

    static let width = 760.0
    static let rightMargin = 20.0

    func render() -> String {
        switch content {
        case .lines(let series): renderLines(series)
        case .stackedBars(let layers, let bars): renderBars(layers: layers, bars: bars)
        }
    }

    /// The plot area inside the chart, in viewBox units.
    struct Frame {
        var left: Double
        var top: Double
        var width: Double
        var height: Double
        var right: Double { left + width }
        var bottom: Double { top + height }
    }

    /// The `<svg>` element around `body`.
    func svg(height: Double, _ body: [String]) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(Self.number(Self.width)) \(Self.number(height))\" width=\"100%\" role=\"img\" "
            + "aria-label=\"\(title.markupEscaped)\" font-size=\"12\" fill=\"\(ChartPalette.text)\"><title>\(title.markupEscaped)</title>"
            + body.joined() + "</svg>"
    }

    /// A short chart saying there was nothing to draw.
    func empty() -> String {
        svg(height: 60, [
            "<rect x=\"0.5\" y=\"0.5\" width=\"\(Self.number(Self.width - 1))\" height=\"59\" fill=\"none\" stroke=\"\(ChartPalette.grid)\"/>",
            text("No data: \(title)", x: Self.width / 2, y: 34, anchor: "middle", color: ChartPalette.axis),
        ])
    }

    /// The legend's entries in rows from `left`, wrapping at the chart's width; its markup and height.
    func legend(_ keys: [Key], left: Double) -> (markup: String, height: Double) {
        var x = left, y = 14.0, parts: [String] = []
        for key in keys {
            let width = 24 + Double(key.name.count) * 6.2 + 18
            if x + width > Self.width - Self.rightMargin, x > left { (x, y) = (left, y + 18) }
            parts.append(line(x1: x, y1: y - 4, x2: x + 18, y2: y - 4, color: key.color, width: 3, dashed: key.dashed))
            parts.append(text(key.name, x: x + 24, y: y))
            x += width
        }
        return (parts.joined(), keys.isEmpty ? 8 : y + 12)
    }

    /// Grid lines and labelled ticks of `axis`, along the bottom (`horizontal`) or the left of `frame`.
    func ticks(_ axis: ChartAxis, horizontal: Bool, in frame: Frame) -> String {
        axis.ticks.compactMap { tick -> String? in
            guard let fraction = axis.fraction(ofPosition: tick.position) else { return nil }
            if horizontal {
                // The last label ends at its tick rather than past the chart's edge.
                let x = frame.left + fraction * frame.width, anchor = fraction > 0.97 ? "end" : "middle"
                return line(x1: x, y1: frame.top, x2: x, y2: frame.bottom, color: ChartPalette.grid)
                    + text(tick.label, x: x, y: frame.bottom + 16, anchor: anchor, color: ChartPalette.axis)
            }
            let y = frame.bottom - fraction * frame.height
            return line(x1: frame.left, y1: y, x2: frame.right, y2: y, color: ChartPalette.grid)
                + text(tick.label, x: frame.left - 6, y: y + 4, anchor: "end", color: ChartPalette.axis)
        }.joined()
    }

    /// The axis lines and their titles: the x title under the ticks, the y title turned along the left edge.
    func axisLines(_ frame: Frame) -> String {
        var parts = [
            line(x1: frame.left, y1: frame.bottom, x2: frame.right, y2: frame.bottom, color: ChartPalette.axis),
            line(x1: frame.left, y1: frame.top, x2: frame.left, y2: frame.bottom, color: ChartPalette.axis),
            text(xLabel, x: frame.left + frame.width / 2, y: frame.bottom + 34, anchor: "middle", color: ChartPalette.axis),
        ]
        if !yLabel.isEmpty {
            let x = 14.0, y = frame.top + frame.height / 2
            parts.append("<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" text-anchor=\"middle\" fill=\"\(ChartPalette.axis)\" "
                + "transform=\"rotate(-90 \(Self.number(x)) \(Self.number(y)))\">\(yLabel.markupEscaped)</text>")
        }
        return parts.joined()
    }

    func line(x1: Double, y1: Double, x2: Double, y2: Double, color: String, width: Double = 1, dashed: Bool = false) -> String {
        "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" "
            + "stroke=\"\(color)\" stroke-width=\"\(Self.number(width))\"\(dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
    }

    func text(_ content: String, x: Double, y: Double, anchor: String = "start", color: String = ChartPalette.text) -> String {
        "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" text-anchor=\"\(anchor)\" fill=\"\(color)\">\(content.markupEscaped)</text>"
    }

    /// A coordinate with one decimal; a non-finite one (which the callers never pass) as 0.
    static func number(_ value: Double) -> String {
        value.isFinite ? String(format: "%.1f", value) : "0"
    }
}
