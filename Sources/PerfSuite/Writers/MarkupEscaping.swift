/// Every string from a report goes through here before it reaches an HTML page or a JUnit file:
/// query text, log lines, descriptions and names are data, never markup.
extension String {
    /// The text with `&`, `<`, `>`, `"` and `'` as character references, safe as HTML, SVG or XML
    /// text and inside a quoted attribute; control characters that XML 1.0 forbids (all below
    /// U+0020 but tab, newline and carriage return) are dropped.
    public var markupEscaped: String {
        var escaped = ""
        escaped.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "\n", "\t", "\r": escaped.unicodeScalars.append(scalar)
            default: if scalar.value >= 0x20 { escaped.unicodeScalars.append(scalar) }
            }
        }
        return escaped
    }
}
