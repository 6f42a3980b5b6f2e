import Glibc
import Subprocesses
import Testing

@Suite("Child processes")
struct ChildProcessTests {
    @Test("a child inherits stdin, stdout and stderr and no other descriptor of ours")
    func noInheritedDescriptors() throws {
        // Descriptors opened the way SwiftNIO opens its sockets (no close-on-exec), placed high so
        // the child's own descriptors cannot take their numbers.
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let high = ends.map { fcntl($0, F_DUPFD, 900) }
        defer { (ends + high).forEach { _ = close($0) } }
        #expect(high.allSatisfy { $0 >= 900 })

        let listing = try ChildProcess.runBlocking("/bin/ls", ["/proc/self/fd"])
        #expect(listing.status == 0)
        let open = Set(listing.text.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) })
        #expect(open.isSuperset(of: [0, 1, 2]))
        #expect(open.isDisjoint(with: high), "inherited: \(open.sorted())")
    }

    @Test("a child's output and exit status come back")
    func outputAndStatus() throws {
        let output = try ChildProcess.runBlocking("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(output.status == 3)
        #expect(output.text.contains("out") && output.text.contains("err"))
    }
}
