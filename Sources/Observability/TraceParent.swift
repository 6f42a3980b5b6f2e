/// The W3C Trace Context `traceparent` both halves speak (https://www.w3.org/TR/trace-context/):
/// the load engine sends one with every request, the server reads it into its logs and answers
/// with its own span in `traceresponse`, so a request in a report can be found in a tracing backend.
public struct TraceParent: Sendable, Equatable {
    public static let headerName = "traceparent"
    /// The answer's header (Trace Context Level 2): the trace, and the server's span in it.
    public static let responseHeaderName = "traceresponse"
    /// `00-` + 32 + `-` + 16 + `-` + 2.
    public static let width = 55

    /// 32 lowercase hex digits, not all zero.
    public var traceID: String
    /// 16 lowercase hex digits, not all zero.
    public var parentID: String
    public var sampled: Bool

    public init(traceID: String, parentID: String, sampled: Bool) {
        self.traceID = traceID
        self.parentID = parentID
        self.sampled = sampled
    }

    /// The header's value, version 00.
    public var headerValue: String { "00-\(traceID)-\(parentID)-\(sampled ? "01" : "00")" }

    /// Reads a `traceparent` value as the specification says a receiver must: version 00 exactly
    /// 55 characters; a later version at least that, its first four fields read the same way;
    /// version ff, uppercase hex, an all-zero trace or parent ID, or anything else: nil.
    public static func parse(_ value: some StringProtocol) -> TraceParent? {
        // Read in place (every request to the server may carry one): no copy unless it is valid.
        if let parsed = value.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) { return parsed }
        return Array(value.utf8).withUnsafeBufferPointer { parse(bytes: $0) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> TraceParent? {
        let dash = UInt8(ascii: "-"), zero = UInt8(ascii: "0")
        guard bytes.count >= width, bytes[2] == dash, bytes[35] == dash, bytes[52] == dash,
            isHex(bytes, 0..<2), isHex(bytes, 3..<35), isHex(bytes, 36..<52), isHex(bytes, 53..<55)
        else { return nil }
        let version00 = bytes[0] == zero && bytes[1] == zero, versionFF = bytes[0] == UInt8(ascii: "f") && bytes[1] == UInt8(ascii: "f")
        guard !versionFF, version00 ? bytes.count == width : (bytes.count == width || bytes[55] == dash) else { return nil }
        guard bytes[3..<35].contains(where: { $0 != zero }), bytes[36..<52].contains(where: { $0 != zero }) else { return nil }
        return TraceParent(
            traceID: String(decoding: UnsafeBufferPointer(rebasing: bytes[3..<35]), as: UTF8.self),
            parentID: String(decoding: UnsafeBufferPointer(rebasing: bytes[36..<52]), as: UTF8.self),
            sampled: hexValue(bytes[54]) & 1 == 1)
    }

    private static func isHex(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        bytes[range].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8 {
        byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10
    }

    // MARK: The load engine's IDs

    /// The trace of request `number` of the run tagged `runTag`: each request is a trace of its own
    /// (a journey of one step), its ID the run's 16 hex digits and the request number's, so that a
    /// report finds any request's trace from its request ID alone.
    public static func loadTraceID(runTag: String, number: UInt64) -> String {
        RequestID.hex(runHalf(runTag)) + RequestID.hex(number)
    }

    /// What every `traceparent` of the run begins with: the version and the run's half of the trace ID.
    public static func loadPrefix(runTag: String) -> String {
        "00-" + RequestID.hex(runHalf(runTag))
    }

    /// The request's span: its number with the top bit set (never zero; the engine's request
    /// numbers never use that bit).
    public static func loadSpanID(number: UInt64) -> String {
        RequestID.hex(spanBits(number))
    }

    @inlinable @inline(__always)
    public static func spanBits(_ number: UInt64) -> UInt64 { number | (1 << 63) }

    /// The run's half of its trace IDs: FNV-1a of its tag, never zero.
    public static func runHalf(_ runTag: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in runTag.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash | 1
    }
}
