import Foundation

/// Plans `auto_explain` wrote to PostgreSQL's log (`log_format = json`), read back for one
/// database: the log's lines carry the database's name (`log_line_prefix` with `%d`, as the
/// clusters archmesh makes are set up), and each plan follows its `duration: ... plan:` line as a
/// JSON object on the message's continuation lines (which PostgreSQL starts with a tab).
public enum PlanLog {
    /// The plans logged for `database` in `text`, in order.
    public static func plans(in text: Substring, database: String) -> [CapturedPlan] {
        PostgresLog.messages(in: text, database: database).compactMap { message -> CapturedPlan? in
            guard message.severity == "LOG", message.text.hasPrefix("duration: ") else { return nil }
            let firstLine = message.text.prefix { $0 != "\n" }
            guard firstLine.hasSuffix("plan:") else { return nil }
            let duration = Double(message.text.dropFirst("duration: ".count).prefix { $0.isNumber || $0 == "." }) ?? 0
            // The JSON is the message's further lines.
            let json = message.text.dropFirst(firstLine.count)
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                let query = object["Query Text"] as? String, let plan = object["Plan"] as? [String: Any], let root = PlanNode(json: plan)
            else { return nil }
            return CapturedPlan(query: query, durationMilliseconds: duration, root: root)
        }
    }
}
