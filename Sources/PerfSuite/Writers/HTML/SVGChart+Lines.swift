/// Line charts: series over a shared x axis, broken where a value is missing.
extension SVGChart {
    static let linesLeftMargin = 64.0
    static let plotHeight = 200.0

    func renderLines(_ series: [Series]) -> String {
        let drawable = series.map { line in
            (line, line.points.compactMap { point -> (x: Double, y: Double)? in
                guard let y = point.y, y.isFinite, xScale.transform(point.x) != nil else { return nil }
                return (point.x, y)
            })
        }.filter { !$0.1.isEmpty }
        guard !drawable.isEmpty else { return empty() }
        let points = drawable.flatMap(\.1)
        let xAxis = ChartAxis.fitted(to: points.map(\.x), scale: xScale, includeZero: false)
        let yAxis = ChartAxis.fitted(to: points.map(\.y), scale: .linear, includeZero: true)
        let legend = legend(drawable.map { Key(name: $0.0.name, color: $0.0.color, dashed: $0.0.dashed) }, left: Self.linesLeftMargin)
        let frame = Frame(
            left: Self.linesLeftMargin, top: legend.height + 8, width: Self.width - Self.linesLeftMargin - Self.rightMargin, height: Self.plotHeight)
        var body = [legend.markup, ticks(yAxis, horizontal: false, in: frame), ticks(xAxis, horizontal: true, in: frame)]
        for (line, _) in drawable {
            body += runs(of: line, xAxis: xAxis, yAxis: yAxis, frame: frame).map { run in polyline(run, line) }
        }
        body.append(axisLines(frame))
        return svg(height: frame.bottom + 44, body)
    }

    /// The series' points in viewBox units, split wherever a value is missing or cannot be placed.
    func runs(of series: Series, xAxis: ChartAxis, yAxis: ChartAxis, frame: Frame) -> [[(Double, Double)]] {
        var runs: [[(Double, Double)]] = [[]]
        for point in series.points {
            if let y = point.y, let fx = xAxis.fraction(of: point.x), let fy = yAxis.fraction(of: y) {
                runs[runs.count - 1].append((frame.left + fx * frame.width, frame.bottom - fy * frame.height))
            } else if !(runs.last?.isEmpty ?? true) {
                runs.append([])
            }
        }
        return runs.filter { !$0.isEmpty }
    }

    /// A run as a polyline, or a dot when it is a single point.
    func polyline(_ run: [(Double, Double)], _ series: Series) -> String {
        if run.count == 1, let (x, y) = run.first {
            return "<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"2.5\" fill=\"\(series.color)\"/>"
        }
        let coordinates = run.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        return "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"1.75\" "
            + "stroke-linejoin=\"round\"\(series.dashed ? " stroke-dasharray=\"5 3\"" : "")><title>\(series.name.markupEscaped)</title></polyline>"
    }
}
