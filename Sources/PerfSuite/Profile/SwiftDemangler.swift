import Foundation
import Subprocesses

/// Swift symbols as people read them (`String.count.getter`), by the toolchain's `swift-demangle`
/// (`--simplified`), all at once; names it cannot read, or all when it is not installed, stay as they are.
enum SwiftDemangler {
    static func demangle(_ names: Set<String>) async -> [String: String] {
        let mangled = names.filter { $0.hasPrefix("$s") || $0.hasPrefix("_$s") || $0.hasPrefix("$S") || $0.hasPrefix("_T0") }
        guard !mangled.isEmpty, let tool = executable() else { return [:] }
        var found: [String: String] = [:]
        let list = Array(mangled)
        for start in stride(from: 0, to: list.count, by: 500) {
            let batch = Array(list[start..<min(start + 500, list.count)])
            guard let output = try? await ChildProcess.run(tool, ["--simplified"] + batch), output.status == 0 else { continue }
            for line in output.text.split(separator: "\n") {
                guard let arrow = line.range(of: " ---> ") else { continue }
                found[String(line[..<arrow.lowerBound])] = String(line[arrow.upperBound...])
            }
        }
        return found
    }

    /// `swift-demangle` on the PATH (the Swift toolchain installs it beside `swift`).
    static func executable() -> String? { ChildProcess.onPath("swift-demangle") }
}
