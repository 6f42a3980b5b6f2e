/// Every string from a report goes through here before it reaches the page: query text, log lines,
/// descriptions and names are data, never markup.
extension String {
    /// The text with `&`, `<`, `>`, `"` and `'` as character references: safe as HTML or SVG text and
    /// inside a quoted attribute. NUL, which HTML does not allow, becomes U+FFFD.
    var htmlEscaped: String {
        var escaped = ""
        escaped.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "\0": escaped += "\u{FFFD}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
