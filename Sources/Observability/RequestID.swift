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

    /// A new random ID: 16 lowercase hex digits from the system's random source.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex(generator.next())
    }

    /// `value` as 16 lowercase hex digits, zero padded.
    public static func hex(_ value: UInt64) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 16) { buffer in
            var remaining = value
            for index in stride(from: 15, through: 0, by: -1) {
                buffer[index] = digits[Int(remaining & 0xF)]
                remaining >>= 4
            }
            return 16
        }
    }
}
