/// `perf script` output folded into stacks: each sample is a header line and its call chain, one
/// frame a line (`<address> <symbol>+<offset> (<object>)`), leaf first, then a blank line.
enum PerfScript {
    /// Folded stacks (root first, frames joined by `;`) and their sample counts.
    static func fold(_ text: Substring) -> [String: Int] {
        var folded: [String: Int] = [:]
        var frames: [Substring] = []
        func flush() {
            if !frames.isEmpty { folded[frames.reversed().joined(separator: ";"), default: 0] += 1 }
            frames.removeAll(keepingCapacity: true)
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let first = line.first else {
                flush()
                continue
            }
            if first == " " || first == "\t" {
                if let frame = frame(line) { frames.append(frame) }
            } else {
                flush()  // a new sample's header
            }
        }
        flush()
        return folded
    }

    /// The frame's name: its symbol without the offset, or `[object]` when perf knew no symbol.
    static func frame(_ line: Substring) -> Substring? {
        var rest = line.drop { $0 == " " || $0 == "\t" }
        rest = rest.drop { !$0.isWhitespace }  // the address
        rest = rest.drop { $0 == " " }
        guard !rest.isEmpty else { return nil }
        var object: Substring = ""
        if let open = rest.lastIndex(of: "("), rest.last == ")" {
            object = rest[rest.index(after: open)..<rest.index(before: rest.endIndex)]
            rest = rest[..<open]
        }
        while rest.last == " " { rest = rest.dropLast() }
        if let plus = rest.range(of: "+0x", options: .backwards) { rest = rest[..<plus.lowerBound] }
        if rest.isEmpty || rest == "[unknown]" {
            let name = object.split(separator: "/").last ?? "unknown"
            return "[\(name)]"
        }
        // `;` separates frames in a folded stack.
        return rest.contains(";") ? Substring(rest.replacingOccurrences(of: ";", with: ",")) : rest
    }
}
