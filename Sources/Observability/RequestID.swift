import Synchronization

/// The `X-Request-ID` rules both halves follow: what a well-formed ID is, and how new ones are made.
public enum RequestID {
    /// The header's name.
    public static let headerName = "X-Request-ID"
    /// The longest ID the server echoes.
    public static let maximumLength = 128

    /// True when `value` is 1...128 characters of `[A-Za-z0-9._-]`, the IDs the server echoes.
    public static func isWellFormed(_ value: some StringProtocol) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= maximumLength else { return false }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// A new ID: 16 lowercase hex digits, a random half chosen once per process and a counting
    /// half, so that IDs are unique in a process and unlikely to meet across processes without a
    /// system call for every request.
    public static func generate() -> String {
        hex(processPrefix | (counter.wrappingAdd(1, ordering: .relaxed).newValue & 0xFFFF_FFFF))
    }

    private static let processPrefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next() & 0xFFFF_FFFF_0000_0000
    }()
    private static let counter = Atomic<UInt64>(0)

    /// `value` as 16 lowercase hex digits, zero padded.
    public static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            writeHex(value, into: UnsafeMutableRawBufferPointer(buffer), at: 0)
            return 16
        }
    }

    /// Writes `value` as 16 lowercase hex digits, zero padded, at `start` (the load engine stamps
    /// its request IDs in place with it, once per request).
    @inlinable @inline(__always)
    public static func writeHex(_ value: UInt64, into buffer: UnsafeMutableRawBufferPointer, at start: Int) {
        var remaining = value
        for index in stride(from: 15, through: 0, by: -1) {
            let digit = UInt8(truncatingIfNeeded: remaining & 0xF)
            buffer[start + index] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            remaining >>= 4
        }
    }
}
