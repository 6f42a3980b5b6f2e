import Foundation

/// A statement with its values taken out: what `pg_stat_statements` shows (constants replaced by
/// `$n`) and what the server sent (parameters, and literal constants) come to the same shape.
enum StatementShape {
    /// The text with whitespace collapsed, and every parameter (`$3`), quoted string (`'UTC'`),
    /// number standing alone (with its minus sign, after an operator, a comma or a parenthesis) and
    /// `true` or `false` replaced by `?`, as `pg_stat_statements` replaces constants.
    static func of(_ query: String) -> String {
        var shape = ""
        var characters = Array(query)[...]
        var lastWasSpace = true
        while let character = characters.first {
            characters = characters.dropFirst()
            switch character {
            case "$" where characters.first?.isNumber == true:
                characters = characters.drop { $0.isNumber }
                shape += "?"
                lastWasSpace = false
            case "'":
                // A string literal, '' inside it an escaped quote.
                while let next = characters.first {
                    characters = characters.dropFirst()
                    if next == "'" {
                        if characters.first == "'" { characters = characters.dropFirst() } else { break }
                    }
                }
                shape += "?"
                lastWasSpace = false
            case "-" where characters.drop(while: { $0 == " " }).first?.isNumber == true && signStarts(after: shape):
                // A negative number: one constant.
                characters = characters.drop { $0 == " " }.drop { $0.isNumber || $0 == "." }
                shape += "?"
                lastWasSpace = false
            case _ where character.isNumber && !(shape.last.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false):
                characters = characters.drop { $0.isNumber || $0 == "." }
                shape += "?"
                lastWasSpace = false
            case _ where character.isLetter && !(shape.last.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" } ?? false):
                let rest = characters.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }
                let word = String(character) + rest
                characters = characters.dropFirst(rest.count)
                shape += ["true", "false"].contains(word.lowercased()) ? "?" : word
                lastWasSpace = false
            case _ where character.isWhitespace:
                if !lastWasSpace { shape += " " }
                lastWasSpace = true
            default:
                shape.append(character)
                lastWasSpace = false
            }
        }
        return shape.hasSuffix(" ") ? String(shape.dropLast()) : shape
    }

    /// Words after which a minus is a number's sign, not a subtraction.
    private static let keywordsBeforeOperands: Set<String> = [
        "SELECT", "WHERE", "AND", "OR", "NOT", "THEN", "ELSE", "WHEN", "CASE", "BETWEEN", "LIMIT", "OFFSET", "RETURNING", "BY", "IN",
        "IS", "LIKE", "ILIKE", "ON", "HAVING", "AS", "SET", "VALUES", "RETURN", "DEFAULT", "ANY", "ALL", "SOME",
    ]

    /// Whether a `-` after the shape so far starts a negative number: after an operator, a bracket,
    /// a comma, nothing, or a keyword; not after an operand (a name, a number, `)`, `]`, `?`, a quote).
    private static func signStarts(after shape: String) -> Bool {
        let trimmed = shape.trimmingCharacters(in: .whitespaces)
        guard let last = trimmed.last else { return true }
        if last.isLetter || last == "_" {
            let word = trimmed.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            return keywordsBeforeOperands.contains(String(word.reversed()).uppercased())
        }
        return !(last.isNumber || ")]?'\"$".contains(last))
    }
}
