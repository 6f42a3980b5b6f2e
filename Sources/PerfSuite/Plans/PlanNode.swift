import Foundation

/// One node of a real execution's plan, as PostgreSQL's `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`
/// and `auto_explain` (`log_format = json`) write it: what it did, on what, how many rows it read
/// and kept, and how long it took (per loop, times its loops).
public struct PlanNode: Codable, Sendable, Equatable {
    public var nodeType: String
    public var relation: String?
    public var index: String?
    /// The condition rows were filtered by after they were read (`Filter`).
    public var filter: String?
    /// The condition an index was searched with (`Index Cond`, or a bitmap heap scan's `Recheck Cond`).
    public var indexCondition: String?
    public var planRows: Double
    public var actualRows: Double
    public var loops: Double
    /// Milliseconds, per loop, from the node's start to its last row.
    public var actualTotalMilliseconds: Double
    public var rowsRemovedByFilter: Double
    public var sharedHitBlocks: Int
    public var sharedReadBlocks: Int
    public var children: [PlanNode]

    /// Its own time (all loops), its children's taken out.
    public var selfMilliseconds: Double {
        max(0, actualTotalMilliseconds * loops - children.reduce(0) { $0 + $1.actualTotalMilliseconds * $1.loops })
    }

    /// Rows it read before its filter, over all loops.
    public var rowsRead: Double { (actualRows + rowsRemovedByFilter) * loops }

    /// Reads a node from the plan's JSON object; nil when it is not one.
    init?(json: [String: Any]) {
        guard let type = json["Node Type"] as? String else { return nil }
        nodeType = type
        relation = json["Relation Name"] as? String
        index = json["Index Name"] as? String
        filter = json["Filter"] as? String
        indexCondition = (json["Index Cond"] ?? json["Recheck Cond"]) as? String
        func number(_ key: String) -> Double { (json[key] as? NSNumber)?.doubleValue ?? 0 }
        planRows = number("Plan Rows")
        actualRows = number("Actual Rows")
        loops = max(1, number("Actual Loops"))
        actualTotalMilliseconds = number("Actual Total Time")
        rowsRemovedByFilter = number("Rows Removed by Filter")
        sharedHitBlocks = Int(number("Shared Hit Blocks"))
        sharedReadBlocks = Int(number("Shared Read Blocks"))
        children = (json["Plans"] as? [[String: Any]] ?? []).compactMap(PlanNode.init(json:))
    }

    /// Every node, depth first, with its depth.
    public func flattened(depth: Int = 0) -> [(node: PlanNode, depth: Int)] {
        [(self, depth)] + children.flatMap { $0.flattened(depth: depth + 1) }
    }

    /// One line: the node, on what, its rows and its time.
    public var summary: String {
        var text = nodeType
        if let relation { text += " on \(relation)" }
        if let index { text += " using \(index)" }
        text += String(format: ": %.0f rows", actualRows * loops)
        if rowsRemovedByFilter > 0 { text += String(format: " of %.0f read", rowsRead) }
        if loops > 1 { text += String(format: " (%.0f loops)", loops) }
        text += String(format: ", %.3f ms", actualTotalMilliseconds * loops)
        if let filter { text += ", filter \(filter)" }
        if let indexCondition { text += ", condition \(indexCondition)" }
        return text
    }
}

/// A real execution's plan of one statement, with the nodes that took most of its time marked.
public struct CapturedPlan: Codable, Sendable, Equatable {
    /// The statement as the server sent it (parameters as `$1`...).
    public var query: String
    /// The execution's duration, milliseconds, as `auto_explain` logged it.
    public var durationMilliseconds: Double
    public var root: PlanNode
    /// Depth-first positions (in `root.flattened()`) of the nodes whose own time is at least a
    /// third of the plan's: where the time went.
    public var dominant: [Int]

    public init(query: String, durationMilliseconds: Double, root: PlanNode) {
        self.query = query
        self.durationMilliseconds = durationMilliseconds
        self.root = root
        let nodes = root.flattened()
        let total = max(nodes.reduce(0) { $0 + $1.node.selfMilliseconds }, 1e-9)
        dominant = nodes.indices.filter { nodes[$0].node.selfMilliseconds / total >= 1.0 / 3 }
    }

    /// The plan as an indented tree, the dominant nodes marked with their share of its time.
    public var treeLines: [String] {
        let nodes = root.flattened()
        let total = max(nodes.reduce(0) { $0 + $1.node.selfMilliseconds }, 1e-9)
        return nodes.enumerated().map { position, entry in
            let mark = dominant.contains(position) ? String(format: "  <- %.0f%% of the plan's time", entry.node.selfMilliseconds / total * 100) : ""
            return String(repeating: "  ", count: entry.depth) + "-> " + entry.node.summary + mark
        }
    }
}
