import Foundation
@testable import PerfSuite
import Testing

/// `perf script` output folded into stacks, a profile's top frames, and its flame graph, from a
/// fixed recording.
@Suite("Profile folding")
struct ProfileFoldingTests {
    static let script = """
        \t    55d0c1a2b3c4 $s14ArchMeshServer16HealthControllerV5checkyyF+0x1a (/usr/bin/archmesh)
        \t    55d0c1a2b000 $s11Hummingbird6RouterV5respondyyF+0x40 (/usr/bin/archmesh)
        \t    7f00aa000000 start_thread+0x99 (/usr/lib/x86_64-linux-gnu/libc.so.6)

        \t    ffffffff81000000 [unknown] ([kernel.kallsyms])
        \t    55d0c1a2b000 $s11Hummingbird6RouterV5respondyyF+0x40 (/usr/bin/archmesh)
        \t    7f00aa000000 start_thread+0x99 (/usr/lib/x86_64-linux-gnu/libc.so.6)

        \t    55d0c1a2b3c4 $s14ArchMeshServer16HealthControllerV5checkyyF+0x1a (/usr/bin/archmesh)
        \t    55d0c1a2b000 $s11Hummingbird6RouterV5respondyyF+0x40 (/usr/bin/archmesh)
        \t    7f00aa000000 start_thread+0x99 (/usr/lib/x86_64-linux-gnu/libc.so.6)

        archmesh 123 [001] 10.0: 1 cpu-clock:
        \t    7f00aa000100 memcpy;weird+0x1 (/usr/lib/libc.so.6)
        """

    @Test("stacks are folded root first, offsets and addresses dropped, unknown frames named by their object")
    func folding() {
        let folded = PerfScript.fold(Substring(Self.script))
        #expect(folded == [
            "start_thread;$s11Hummingbird6RouterV5respondyyF;$s14ArchMeshServer16HealthControllerV5checkyyF": 2,
            "start_thread;$s11Hummingbird6RouterV5respondyyF;[[kernel.kallsyms]]": 1,
            "memcpy,weird": 1,
        ])
    }

    @Test("the profile's top frames by self and total, and a flame graph with a title per frame")
    func profile() {
        let profile = ServerProfile(folded: PerfScript.fold(Substring(Self.script)), frequencyHz: 199)
        #expect(profile.samples == 4)
        #expect(profile.topSelf.first?.name == "$s14ArchMeshServer16HealthControllerV5checkyyF" && profile.topSelf.first?.samples == 2)
        #expect(profile.topTotal.first?.name == "$s11Hummingbird6RouterV5respondyyF" || profile.topTotal.first?.name == "start_thread")
        #expect(profile.topTotal.first?.percent == 75)
        let svg = FlameGraphSVG.render(profile)
        #expect(svg.hasPrefix(#"<svg class="flame""#))
        #expect(svg.components(separatedBy: "<title>").count - 1 == 6, "all, start_thread, Router, HealthController, kernel, memcpy: \(svg)")
        #expect(svg.contains("start_thread — 3 samples (75.00%)"))
        #expect(!svg.contains("<script"))
    }
}
