/// Reading a statement's text as PostgreSQL's lexer does, as far as replaying it needs: where its
/// parameters (`$1`) are, outside string literals, quoted names, dollar quotes and comments.
enum SQLText {
    /// The text with each parameter `$n` replaced by `replacement(n)`; nil when `replacement`
    /// returns nil, or when pgbench would read the text otherwise than PostgreSQL: several
    /// statements (a `;` before the end), a backslash outside quotes (a pgbench command), or a
    /// `:name` anywhere (a pgbench variable, even inside quotes).
    static func replacingParameters(in text: String, _ replacement: (Int) -> String?) -> String? {
        let characters = Array(text.trimmingTrailing { $0.isWhitespace || $0 == ";" })
        if hasPgbenchVariable(characters) { return nil }
        var output = ""
        var index = 0
        func isWordCharacter(_ character: Character) -> Bool { character.isLetter || character.isNumber || character == "_" || character == "$" }
        while index < characters.count {
            let character = characters[index]
            let previous: Character? = index > 0 ? characters[index - 1] : nil
            switch character {
            case "'":
                // A string; E'...' takes backslash escapes.
                let escapes = previous.map { ($0 == "E" || $0 == "e") && (index < 2 || !isWordCharacter(characters[index - 2])) } ?? false
                let end = closingQuote(characters, from: index + 1, quote: "'", backslashEscapes: escapes)
                output += String(characters[index..<end])
                index = end
            case "\"":
                let end = closingQuote(characters, from: index + 1, quote: "\"", backslashEscapes: false)
                output += String(characters[index..<end])
                index = end
            case "-" where index + 1 < characters.count && characters[index + 1] == "-":
                var end = index
                while end < characters.count, !characters[end].isNewline { end += 1 }
                output += String(characters[index..<end])
                index = end
            case "/" where index + 1 < characters.count && characters[index + 1] == "*":
                // Block comments nest.
                var depth = 0
                var end = index
                repeat {
                    if end + 1 < characters.count, characters[end] == "/", characters[end + 1] == "*" {
                        depth += 1
                        end += 2
                    } else if end + 1 < characters.count, characters[end] == "*", characters[end + 1] == "/" {
                        depth -= 1
                        end += 2
                    } else {
                        end += 1
                    }
                } while depth > 0 && end < characters.count
                output += String(characters[index..<min(end, characters.count)])
                index = min(end, characters.count)
            case "$" where previous.map(isWordCharacter) != true:
                var end = index + 1
                while end < characters.count, characters[end].isASCII, characters[end].isNumber { end += 1 }
                if end > index + 1 {
                    guard let number = Int(String(characters[(index + 1)..<end])), let value = replacement(number) else { return nil }
                    // After a colon (`a[1:$2]`) a variable would make `::`, which pgbench passes over.
                    if value.hasPrefix(":"), output.last == ":" { output += " " }
                    output += value
                    index = end
                } else if let quoted = dollarQuoteEnd(characters, from: index) {
                    output += String(characters[index..<quoted])
                    index = quoted
                } else {
                    output.append(character)
                    index += 1
                }
            case ";", "\\":
                return nil
            default:
                output.append(character)
                index += 1
            }
        }
        return output
    }

    /// The index after the quote that closes one opened just before `start` (a doubled quote is
    /// one inside); the end of the text when none does.
    private static func closingQuote(_ characters: [Character], from start: Int, quote: Character, backslashEscapes: Bool) -> Int {
        var index = start
        while index < characters.count {
            if backslashEscapes, characters[index] == "\\" {
                index += 2
                continue
            }
            if characters[index] == quote {
                if index + 1 < characters.count, characters[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return characters.count
    }

    /// `$tag$ ... $tag$` starting at `start`: the index after its closing tag; nil when `start`
    /// opens no dollar quote.
    private static func dollarQuoteEnd(_ characters: [Character], from start: Int) -> Int? {
        var end = start + 1
        if end < characters.count, characters[end].isNumber { return nil }
        while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" { end += 1 }
        guard end < characters.count, characters[end] == "$" else { return nil }
        let tag = Array(characters[start...end])
        var index = end + 1
        while index + tag.count <= characters.count {
            if Array(characters[index..<(index + tag.count)]) == tag { return index + tag.count }
            index += 1
        }
        return characters.count
    }

    /// A single `:` followed by the first character of a name (a letter, `_` or a byte beyond
    /// ASCII; not a digit): pgbench takes it for a variable wherever it is (its scan for variables
    /// does not know quotes); `::` casts are passed over, as pgbench does.
    static func hasPgbenchVariable(_ characters: [Character]) -> Bool {
        var index = 0
        while index < characters.count {
            guard characters[index] == ":" else { index += 1; continue }
            var end = index
            while end < characters.count, characters[end] == ":" { end += 1 }
            if end == index + 1, end < characters.count {
                let next = characters[end]
                if (next.isASCII && next.isLetter) || next == "_" || !next.isASCII { return true }
            }
            index = end
        }
        return false
    }
}

extension String {
    /// The text without the characters at its end for which `predicate` holds.
    fileprivate func trimmingTrailing(while predicate: (Character) -> Bool) -> Substring {
        var text = self[...]
        while let last = text.last, predicate(last) { text = text.dropLast() }
        return text
    }
}
