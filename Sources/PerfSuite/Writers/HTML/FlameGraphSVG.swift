import Foundation

/// A flame graph of a server profile as inline SVG: the root at the bottom, each frame as wide as
/// its samples among the kept stacks, its name and share of all samples (as the top-frame tables
/// give it) in a `<title>` (shown on hover), no script. Frames narrower than half a pixel are left
/// out; names are written where they fit.
enum FlameGraphSVG {
    static let width = 1200.0
    static let rowHeight = 16.0

    final class Node {
        var name: String
        var samples = 0
        var children: [String: Node] = [:]
        var order: [String] = []

        init(_ name: String) { self.name = name }

        func child(_ name: String) -> Node {
            if let found = children[name] { return found }
            let node = Node(name)
            children[name] = node
            order.append(name)
            return node
        }
    }

    static func render(_ profile: ServerProfile) -> String {
        let root = Node("all")
        for stack in profile.stacks {
            var node = root
            node.samples += stack.samples
            for frame in stack.frames.split(separator: ";") {
                node = node.child(String(frame))
                node.samples += stack.samples
            }
        }
        guard root.samples > 0 else { return "" }
        var depth = 0
        var rects: [String] = []
        func place(_ node: Node, x: Double, level: Int) {
            let nodeWidth = Double(node.samples) / Double(root.samples) * width
            guard nodeWidth >= 0.5 else { return }
            depth = max(depth, level)
            rects.append(rect(node, x: x, width: nodeWidth, level: level, total: max(profile.samples, root.samples)))
            var childX = x
            for name in node.order.sorted() {
                let child = node.children[name]!
                place(child, x: childX, level: level + 1)
                childX += Double(child.samples) / Double(root.samples) * width
            }
        }
        place(root, x: 0, level: 0)
        let height = Double(depth + 1) * rowHeight
        // Rows are placed from the bottom: the group is flipped, the root is the lowest row.
        let body = rects.joined()
        return "<svg class=\"flame\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" "
            + "aria-label=\"flame graph of the server's on-CPU samples\" font-family=\"ui-monospace, monospace\" font-size=\"11\">"
            + "<g transform=\"translate(0 \(format(height))) scale(1 -1)\">" + body + "</g></svg>"
    }

    private static func rect(_ node: Node, x: Double, width nodeWidth: Double, level: Int, total: Int) -> String {
        let percent = Double(node.samples) * 100 / Double(total)
        let title = "\(node.name) — \(node.samples) samples (\(String(format: "%.2f", percent))%)".markupEscaped
        let y = Double(level) * rowHeight
        var text = ""
        let fits = Int((nodeWidth - 4) / 6.6)
        if fits >= 3 {
            let label = node.name.count <= fits ? node.name : String(node.name.prefix(fits - 2)) + ".."
            // Text is drawn upright inside the flipped group.
            text = "<text x=\"\(format(x + 2))\" y=\"\(format(-(y + 4)))\" transform=\"scale(1 -1)\" fill=\"#1f2328\">\(label.markupEscaped)</text>"
        }
        return "<g><title>\(title)</title><rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(nodeWidth))\" height=\"\(format(rowHeight - 1))\" fill=\"\(color(node.name))\"/>\(text)</g>"
    }

    /// Warm colours, stable per name.
    private static func color(_ name: String) -> String {
        var hash: UInt32 = 2166136261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16777619 }
        let red = 205 + Int(hash % 50), green = 80 + Int((hash >> 8) % 130), blue = 40 + Int((hash >> 16) % 50)
        return "rgb(\(red),\(green),\(blue))"
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
