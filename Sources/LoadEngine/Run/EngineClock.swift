import NIOCore

/// The engine's one time source: NIO's own, so that timers set from its readings fire when meant.
enum EngineClock {
    /// Nanoseconds on the clock `NIODeadline.uptimeNanoseconds` counts.
    @inline(__always)
    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}
