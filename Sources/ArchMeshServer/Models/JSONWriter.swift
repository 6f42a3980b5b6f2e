import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON written straight into a buffer, for every response the server makes: the profile showed
/// Foundation's `JSONEncoder` taking a quarter of a list request's CPU. Keys are written in the
/// order given; callers give them sorted, as the API has always answered.
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
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        needsComma = false
    }

    /// A key that is not known at compile time (a dictionary's).
    mutating func key(_ name: String) {
        string(name)
        buffer.writeInteger(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ text: String) {
        separate()
        var text = text
        text.withUTF8 { writeEscaped(UnsafeRawBufferPointer($0)) }
        needsComma = true
    }

    mutating func string(_ text: String?) {
        if let text { string(text) } else { null() }
    }

    /// Text given as UTF-8 bytes (a text column's), without making a String of it.
    mutating func string(_ bytes: ByteBuffer) {
        separate()
        bytes.withUnsafeReadableBytes { writeEscaped($0) }
        needsComma = true
    }

    /// A UUID given as its 16 bytes (a `uuid` column's binary form), in its lowercase canonical
    /// form `"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"`, in one write to the buffer.
    mutating func uuid(_ uuid: ByteBuffer) {
        precondition(uuid.readableBytes == 16)
        separate()
        let digits: StaticString = "0123456789abcdef"
        _ = uuid.withUnsafeReadableBytes { bytes in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 38) { output in
                digits.withUTF8Buffer { hex in
                    var position = 0
                    func put(_ byte: UInt8) {
                        output[position] = byte
                        position += 1
                    }
                    put(UInt8(ascii: "\""))
                    for (index, byte) in bytes.enumerated() {
                        if index == 4 || index == 6 || index == 8 || index == 10 { put(UInt8(ascii: "-")) }
                        put(hex[Int(byte >> 4)])
                        put(hex[Int(byte & 0xF)])
                    }
                    put(UInt8(ascii: "\""))
                }
                return 38
            }
        }
        needsComma = true
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

    mutating func null() {
        separate()
        buffer.writeStaticString("null")
        needsComma = true
    }

    /// A document PostgreSQL gave as `jsonb` text, written without the space it puts after each
    /// `:` and `,` (the rest as it is), so that responses stay compact. Spaces inside strings stay.
    mutating func stored(_ json: ByteBuffer) {
        separate()
        json.withUnsafeReadableBytes { bytes in
            var start = 0
            var inString = false
            var escaped = false
            for (index, byte) in bytes.enumerated() {
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                    start = index + 1
                }
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
    }

    /// A JSON string of UTF-8 bytes: quotes, backslashes and control characters escaped, `/` and
    /// non-ASCII left as they are (as the server's responses have always been written).
    private mutating func writeEscaped(_ bytes: UnsafeRawBufferPointer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var start = 0
        for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case 0x08: buffer.writeStaticString("\\b")
            case 0x0C: buffer.writeStaticString("\\f")
            default:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            }
            start = index + 1
        }
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
        buffer.writeInteger(UInt8(ascii: "\""))
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
