/// A table with a header row. Cells are plain text and escaped here, except in `.markup` columns,
/// whose cells this renderer built; numeric columns align right.
struct HTMLTable {
    struct Column {
        enum Kind { case text, number, markup }
        var title: String
        var kind: Kind

        static func text(_ title: String) -> Column { Column(title: title, kind: .text) }
        static func number(_ title: String) -> Column { Column(title: title, kind: .number) }
        static func markup(_ title: String) -> Column { Column(title: title, kind: .markup) }
    }

    /// A row, and optionally markup shown in a full-width row under it (an exemplar's log line).
    struct Row {
        var cells: [String]
        var detail: String?

        init(_ cells: [String], detail: String? = nil) {
            self.cells = cells
            self.detail = detail
        }
    }

    var columns: [Column]
    var rows: [Row]

    init(_ columns: [Column], rows: [[String]]) {
        self.init(columns, detailedRows: rows.map { Row($0) })
    }

    init(_ columns: [Column], detailedRows: [Row]) {
        self.columns = columns
        self.rows = detailedRows
    }

    func render() -> String {
        var html = "<div class=\"scroll\"><table><thead><tr>"
        for column in columns {
            html += "<th\(column.kind == .number ? " class=\"num\"" : "")>\(column.title.markupEscaped)</th>"
        }
        html += "</tr></thead><tbody>"
        for row in rows {
            html += "<tr>"
            for (column, cell) in zip(columns, row.cells) {
                switch column.kind {
                case .text: html += "<td>\(cell.markupEscaped)</td>"
                case .number: html += "<td class=\"num\">\(cell.markupEscaped)</td>"
                case .markup: html += "<td>\(cell)</td>"
                }
            }
            html += "</tr>"
            if let detail = row.detail { html += "<tr class=\"detail\"><td colspan=\"\(columns.count)\">\(detail)</td></tr>" }
        }
        return html + "</tbody></table></div>"
    }
}
