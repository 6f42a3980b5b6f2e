import NIOCore

/// HTTP/2 framing as the engine's client speaks it (RFC 9113, sections 3.4, 4 and 6): the preface,
/// frame heads, and the numbers the protocol names. Frames are read and written as bytes by
/// `HTTP2StreamRouter`; only header blocks go through NIOHPACK.
enum HTTP2Wire {
    /// What a client sends first on every connection, before its SETTINGS.
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    static let frameHeadLength = 9
    /// The largest frame either side may send until told otherwise; the engine never raises its own.
    static let defaultMaxFrameSize = 16_384
    /// The protocol's first window, for a connection and for each stream.
    static let defaultWindow = 65_535
    static let maxWindow = Int(Int32.max)
    /// Most bytes of one response header block (HEADERS and its CONTINUATIONs) the engine takes,
    /// and most CONTINUATION frames after its HEADERS (SwiftNIO's limit too: a flood of small
    /// CONTINUATIONs is a known attack, and no server needs more).
    static let maxHeaderBlock = 1 << 20
    static let maxContinuationFrames = 5

    enum FrameType {
        static let data: UInt8 = 0x0
        static let headers: UInt8 = 0x1
        static let priority: UInt8 = 0x2
        static let rstStream: UInt8 = 0x3
        static let settings: UInt8 = 0x4
        static let pushPromise: UInt8 = 0x5
        static let ping: UInt8 = 0x6
        static let goAway: UInt8 = 0x7
        static let windowUpdate: UInt8 = 0x8
        static let continuation: UInt8 = 0x9
    }

    enum Flag {
        static let endStream: UInt8 = 0x1
        static let ack: UInt8 = 0x1
        static let endHeaders: UInt8 = 0x4
        static let padded: UInt8 = 0x8
        static let priority: UInt8 = 0x20
    }

    enum Setting {
        static let headerTableSize: UInt16 = 0x1
        static let enablePush: UInt16 = 0x2
        static let maxConcurrentStreams: UInt16 = 0x3
        static let initialWindowSize: UInt16 = 0x4
        static let maxFrameSize: UInt16 = 0x5
        static let maxHeaderListSize: UInt16 = 0x6
    }

    enum ErrorCode {
        static let noError: UInt32 = 0x0
        static let protocolError: UInt32 = 0x1
        static let flowControlError: UInt32 = 0x3
        static let frameSizeError: UInt32 = 0x6
        static let refusedStream: UInt32 = 0x7
        static let cancel: UInt32 = 0x8
        static let compressionError: UInt32 = 0x9
    }

    /// A frame's head: 24-bit length, type, flags, and a 31-bit stream identifier.
    struct FrameHead {
        var length: Int
        var type: UInt8
        var flags: UInt8
        var stream: UInt32

        func has(_ flag: UInt8) -> Bool { flags & flag != 0 }
    }

    /// The head of the frame at `buffer`'s reader index, if its nine bytes are there; not consumed.
    static func peekHead(_ buffer: ByteBuffer) -> FrameHead? {
        guard buffer.readableBytes >= frameHeadLength,
            let high = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            let low = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt8.self),
            let type = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt8.self),
            let flags = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self),
            let stream = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt32.self)
        else { return nil }
        return FrameHead(length: Int(high) << 8 | Int(low), type: type, flags: flags, stream: stream & 0x7FFF_FFFF)
    }

    static func writeHead(length: Int, type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(truncatingIfNeeded: length >> 8))
        buffer.writeInteger(UInt8(truncatingIfNeeded: length))
        buffer.writeInteger(type)
        buffer.writeInteger(flags)
        buffer.writeInteger(stream & 0x7FFF_FFFF)
    }

    static func writeSettings(_ settings: [(UInt16, UInt32)], to buffer: inout ByteBuffer) {
        writeHead(length: settings.count * 6, type: FrameType.settings, to: &buffer)
        for (identifier, value) in settings {
            buffer.writeInteger(identifier)
            buffer.writeInteger(value)
        }
    }

    static func writeWindowUpdate(stream: UInt32, increment: Int, to buffer: inout ByteBuffer) {
        writeHead(length: 4, type: FrameType.windowUpdate, stream: stream, to: &buffer)
        buffer.writeInteger(UInt32(increment) & 0x7FFF_FFFF)
    }

    static func writeReset(stream: UInt32, code: UInt32, to buffer: inout ByteBuffer) {
        writeHead(length: 4, type: FrameType.rstStream, stream: stream, to: &buffer)
        buffer.writeInteger(code)
    }

    static func writeGoAway(lastStream: UInt32, code: UInt32, to buffer: inout ByteBuffer) {
        writeHead(length: 8, type: FrameType.goAway, to: &buffer)
        buffer.writeInteger(lastStream & 0x7FFF_FFFF)
        buffer.writeInteger(code)
    }
}

/// The server broke the HTTP/2 protocol (a connection error, RFC 9113 section 5.4.1): the engine
/// sends GOAWAY with `code` and closes the connection; its requests fail as `protocol`.
struct HTTP2ProtocolError: Error, CustomStringConvertible {
    var code: UInt32
    var reason: String

    var description: String { "HTTP/2 protocol error: \(reason)" }
}
