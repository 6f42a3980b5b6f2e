import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON written straight into a buffer, for every response the server makes: the profile showed
/// Foundation's `JSONEncoder` taking a quarter of a list request's CPU. Keys are written in the
/// order given; callers give them sorted, as the API has always answered. A value is written into
/// room reserved for it at once (`raw(upTo:)`), not byte by byte through `ByteBuffer`, whose every
/// write checks its storage's uniqueness and exclusive access.
struct JSONWriter {
    private(set) var buffer: ByteBuffer
    /// True when the next key or element needs a comma before it.
    private var needsComma = false

    init(capacity: Int = 512) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func beginObject() {
        separate()
        buffer.writeInteger(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        buffer.writeInteger(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        separate()
        buffer.writeInteger(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        buffer.writeInteger(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A key; the value follows.
    mutating func key(_ name: StaticString) {
        raw(upTo: name.utf8CodeUnitCount + 4) { $0.key(name) }
        needsComma = false
    }

    /// A key that is not known at compile time (a dictionary's).
    mutating func key(_ name: String) {
        string(name)
        buffer.writeInteger(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { bytes in raw(upTo: RawOutput.escapedBound(bytes.count)) { $0.escaped(UnsafeRawBufferPointer(bytes)) } }
    }

    mutating func number(_ value: Int) {
        separate()
        buffer.writeString(String(value))
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        buffer.writeStaticString(value ? "true" : "false")
        needsComma = true
    }

    /// One value (or an object's whole body) written into room for `bound` bytes reserved at once,
    /// after the comma it needs; `write` must not write more than `bound`.
    mutating func raw(upTo bound: Int, _ write: (inout RawOutput) -> Void) {
        let comma = needsComma
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound + 1) { room in
            var output = RawOutput(room)
            if comma { output.put(UInt8(ascii: ",")) }
            write(&output)
            return output.count
        }
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
    }
}

/// Bytes written into room reserved in a buffer, by position: what `JSONWriter` writes values with.
struct RawOutput {
    private let room: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(_ room: UnsafeMutableRawBufferPointer) {
        self.room = room
    }

    mutating func put(_ byte: UInt8) {
        precondition(count < room.count)
        room[count] = byte
        count += 1
    }

    mutating func put(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(count + bytes.count <= room.count)
        (room.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { put(UnsafeRawBufferPointer($0)) }
    }

    /// `"name":`
    mutating func key(_ name: StaticString) {
        put(UInt8(ascii: "\""))
        put(name)
        put(UInt8(ascii: "\""))
        put(UInt8(ascii: ":"))
    }

    /// The most bytes `escaped` writes for `count` bytes of text: each may become `\u00XX`, plus the quotes.
    static func escapedBound(_ count: Int) -> Int { count * 6 + 2 }

    /// A JSON string of UTF-8 bytes: quotes, backslashes and control characters escaped, `/` and
    /// non-ASCII left as they are (as the server's responses have always been written).
    mutating func escaped(_ bytes: UnsafeRawBufferPointer) {
        put(UInt8(ascii: "\""))
        var start = 0
        for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            put(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            switch byte {
            case UInt8(ascii: "\""): put("\\\"")
            case UInt8(ascii: "\\"): put("\\\\")
            case UInt8(ascii: "\n"): put("\\n")
            case UInt8(ascii: "\r"): put("\\r")
            case UInt8(ascii: "\t"): put("\\t")
            case 0x08: put("\\b")
            case 0x0C: put("\\f")
            default:
                put("\\u00")
                put(Self.hex(byte >> 4))
                put(Self.hex(byte & 0xF))
            }
            start = index + 1
        }
        put(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
        put(UInt8(ascii: "\""))
    }

    /// Bytes `uuid` writes.
    static let uuidBound = 38

    /// A UUID's 16 bytes (a `uuid` column's binary form) in its lowercase canonical form,
    /// `"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"`.
    mutating func uuid(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 16)
        put(UInt8(ascii: "\""))
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { put(UInt8(ascii: "-")) }
            put(Self.hex(byte >> 4))
            put(Self.hex(byte & 0xF))
        }
        put(UInt8(ascii: "\""))
    }

    /// A document PostgreSQL gave as `jsonb` text, written without the space it puts after each
    /// `:` and `,` (the rest as it is), so that responses stay compact; spaces inside strings stay.
    /// It writes at most as many bytes as it is given.
    mutating func compactJSON(_ bytes: UnsafeRawBufferPointer) {
        var start = 0
        var inString = false
        var escaped = false
        for (index, byte) in bytes.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                put(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                start = index + 1
            }
        }
        put(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
    }

    private static func hex(_ digit: UInt8) -> UInt8 {
        digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
    }
}

/// A response body the server writes itself with `JSONWriter`.
protocol JSONBody: ResponseGenerator, Sendable {
    func write(to json: inout JSONWriter) throws
}

extension JSONBody {
    func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = JSONWriter()
        try write(to: &json)
        let body = json.buffer
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(body.readableBytes)],
            body: .init(byteBuffer: body))
    }
}
