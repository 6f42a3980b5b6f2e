/// PostgreSQL's log as messages of one database: each line starts with the prefix the clusters
/// archmesh makes are set up with (`%m [%p] %d `: time, process, database), then the severity
/// (`LOG:  `, `DETAIL:  `); a message's further lines start with a tab. What `PlanLog` and
/// `ExecutionLog` read their messages from.
enum PostgresLog {
    struct Message {
        var severity: Substring
        /// The message's text, its lines joined by a newline, continuation tabs taken off.
        var text: String
    }

    static let severities = ["LOG", "DETAIL", "HINT", "CONTEXT", "STATEMENT", "WARNING", "ERROR", "FATAL", "PANIC", "NOTICE", "INFO", "DEBUG"]

    /// The messages of `database` in `text`, in order (other databases' and unreadable lines passed over).
    /// Lines are split at line feeds alone, so that a value holding a carriage return keeps it.
    static func messages(in text: Substring, database: String) -> [Message] {
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { Substring($0) }
        let marker = "] \(database) "
        var messages: [Message] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            index += 1
            // After the process number (`[%p] `), so that a name also found in the time is not taken for it.
            guard let found = line.range(of: marker) else { continue }
            let rest = line[found.upperBound...]
            guard let colon = rest.range(of: ":  "), severities.contains(String(rest[..<colon.lowerBound])) else { continue }
            var message = String(rest[colon.upperBound...])
            while index < lines.count, lines[index].hasPrefix("\t") {
                message += "\n" + lines[index].dropFirst()
                index += 1
            }
            messages.append(Message(severity: rest[..<colon.lowerBound], text: message))
        }
        return messages
    }
}
