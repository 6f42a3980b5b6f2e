import Foundation

/// Plans `auto_explain` wrote to PostgreSQL's log (`log_format = json`), read back for one
/// database: the log's lines carry the database's name (`log_line_prefix` with `%d`, as the
/// clusters archmesh makes are set up), and each plan follows its `duration: ... plan:` line as a
/// JSON object on the message's continuation lines (which PostgreSQL starts with a tab).
public enum PlanLog {
    /// The plans logged for `database` in `text`, in order.
    public static func plans(in text: Substring, database: String) -> [CapturedPlan] {
        var plans: [CapturedPlan] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var index = 0
        let marker = " \(database) LOG:  duration: "
        while index < lines.count {
            let line = lines[index]
            index += 1
            guard let found = line.range(of: marker), line.hasSuffix("plan:") else { continue }
            let duration = Double(line[found.upperBound...].prefix { $0.isNumber || $0 == "." }) ?? 0
            // The JSON follows on the message's continuation lines, each of which PostgreSQL starts with a tab.
            var json = ""
            while index < lines.count, lines[index].hasPrefix("\t") {
                json += lines[index].dropFirst() + "\n"
                index += 1
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                let query = object["Query Text"] as? String, let plan = object["Plan"] as? [String: Any], let root = PlanNode(json: plan)
            else { continue }
            plans.append(CapturedPlan(query: query, durationMilliseconds: duration, root: root))
        }
        return plans
    }
}
