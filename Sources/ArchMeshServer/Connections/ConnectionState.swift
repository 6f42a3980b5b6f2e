import NIOCore
import Synchronization

/// Where one connection is in its current request, and since when: written by its handlers on its
/// event loop (two relaxed atomic stores per step), read by the registry's sweeper and evictions.
final class ConnectionState: Sendable {
    enum Phase: UInt8 {
        /// No request under way.
        case idle
        /// The first bytes of a request arrived; its head is not complete.
        case readingHead
        /// The head arrived; the body is not complete.
        case readingBody
        /// The request arrived whole; the server is answering it.
        case answering
    }

    let channel: any Channel
    private let phaseValue = Atomic<UInt8>(Phase.idle.rawValue)
    private let sinceValue: Atomic<UInt64>

    init(channel: any Channel, now: UInt64) {
        self.channel = channel
        sinceValue = Atomic(now)
    }

    var phase: Phase { Phase(rawValue: phaseValue.load(ordering: .relaxed)) ?? .idle }
    var since: UInt64 { sinceValue.load(ordering: .relaxed) }

    func enter(_ phase: Phase, now: UInt64) {
        sinceValue.store(now, ordering: .relaxed)
        phaseValue.store(phase.rawValue, ordering: .relaxed)
    }
}
