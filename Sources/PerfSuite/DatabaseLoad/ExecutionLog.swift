/// One execution of a statement as PostgreSQL logged it, with the values it was given: what a
/// `database` scenario replays. `PlanCapture` has PostgreSQL log a sample of executions
/// (`log_min_duration_sample`, `log_statement_sample_rate`) with their parameters.
public struct LoggedExecution: Sendable, Equatable {
    /// The statement's text as sent: `$1`, `$2` ... where it takes parameters.
    public var query: String
    /// The values bound to `$1`, `$2` ... in order; nil for SQL `NULL`.
    public var parameters: [String?]

    public init(query: String, parameters: [String?] = []) {
        self.query = query
        self.parameters = parameters
    }
}

/// Reads the sampled executions of one database out of PostgreSQL's log. A sampled execution is a
/// `LOG:  duration: 0.050 ms  execute <name>: SELECT ...` line (or `statement: ...` for the simple
/// protocol), its text continued on lines that start with a tab, then, when it took parameters, a
/// `DETAIL:  parameters: $1 = '20', $2 = NULL` line. Lines carry the database's name
/// (`log_line_prefix` with `%d`, as `PlanCapture` sets it); anything else is passed over.
public enum ExecutionLog {
    /// The executions logged for `database`, in order.
    public static func executions(in text: Substring, database: String) -> [LoggedExecution] {
        let messages = PostgresLog.messages(in: text, database: database)
        var found: [LoggedExecution] = []
        for (index, message) in messages.enumerated() where message.severity == "LOG" && message.text.hasPrefix("duration: ") {
            guard let query = statementText(message.text.dropFirst("duration: ".count)) else { continue }
            // PostgreSQL writes a message and its detail together: the parameters, if any, are next.
            if index + 1 < messages.count, messages[index + 1].severity == "DETAIL", messages[index + 1].text.lowercased().hasPrefix("parameters: ") {
                guard let values = parameters(messages[index + 1].text) else { continue }
                found.append(LoggedExecution(query: String(query), parameters: values))
            } else {
                found.append(LoggedExecution(query: String(query)))
            }
        }
        return found
    }

    /// After `duration: `: `0.050 ms  execute <name>: TEXT`, `... execute name/portal: TEXT` or
    /// `... statement: TEXT`; the text, or nil for any other message (parse, bind, a plan).
    static func statementText(_ message: Substring) -> Substring? {
        guard let unit = message.range(of: " ms  ") else { return nil }
        let rest = message[unit.upperBound...]
        if rest.hasPrefix("statement: ") { return rest.dropFirst("statement: ".count) }
        guard rest.hasPrefix("execute "), !rest.hasPrefix("execute fetch from "), let colon = rest.range(of: ": ") else { return nil }
        return rest[colon.upperBound...]
    }

    /// `parameters: $1 = '20', $2 = NULL, $3 = 'it''s'` as values in order; nil when the message is
    /// not that, is cut short, or numbers its parameters out of order. (A value PostgreSQL shortened
    /// to `log_parameter_max_length` cannot be told from one ending in `...`: `PlanCapture` sets
    /// the length to unlimited.)
    static func parameters(_ message: String) -> [String?]? {
        guard message.lowercased().hasPrefix("parameters: ") else { return nil }
        var rest = Substring(message).dropFirst("parameters: ".count)
        var values: [String?] = []
        while !rest.isEmpty {
            guard rest.hasPrefix("$") else { return nil }
            let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            guard let number = Int(digits), number == values.count + 1 else { return nil }
            rest = rest.dropFirst(1 + digits.count)
            guard rest.hasPrefix(" = ") else { return nil }
            rest = rest.dropFirst(3)
            if rest.hasPrefix("NULL") {
                values.append(nil)
                rest = rest.dropFirst(4)
            } else if rest.hasPrefix("'") {
                rest = rest.dropFirst()
                var value = ""
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "'" {
                        if rest.first == "'" {
                            value.append("'")
                            rest = rest.dropFirst()
                        } else {
                            closed = true
                            break
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
                values.append(value)
            } else {
                return nil
            }
            if rest.hasPrefix(", ") { rest = rest.dropFirst(2) } else if !rest.isEmpty { return nil }
        }
        return values
    }
}
