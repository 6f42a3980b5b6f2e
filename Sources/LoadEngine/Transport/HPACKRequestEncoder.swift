import NIOCore
import Observability

/// One request's header fields for HTTP/2, fixed for the run: pseudo-headers first, names in
/// lowercase, no connection-specific fields; the request ID is not among them (it changes with
/// every request and is written apart, never indexed).
final class HTTP2RequestHead: Sendable {
    struct Field: Sendable, Equatable {
        let name: [UInt8]
        let value: [UInt8]
        /// The field's name in the HPACK static table (0: not there), and the whole field (0: not there).
        let staticNameIndex: Int
        let staticIndex: Int

        init(name: String, value: String) {
            self.name = Array(name.utf8)
            self.value = Array(value.utf8)
            staticNameIndex = HPACKStaticTable.entries.firstIndex { $0.name == name }.map { $0 + 1 } ?? 0
            staticIndex = HPACKStaticTable.entries.firstIndex { $0.name == name && $0.value == value }.map { $0 + 1 } ?? 0
        }

        /// Its size in a dynamic table (RFC 7541, 4.1).
        var size: Int { name.count + value.count + 32 }
    }

    /// Dense over a worker's templates: the index of this head in each connection's cache.
    let key: Int
    let fields: [Field]
    let body: ByteBuffer?
    /// The request ID's field up to its 16 hex digits: a literal never entered (0x00), its name
    /// and its value's length as plain strings, then `<run tag>-`.
    let requestIDLiteral: [UInt8]
    /// With trace context: the `traceparent` field up to its request-specific digits, a literal
    /// never entered, then `00-` and the run's half of the trace ID.
    let traceLiteral: [UInt8]?

    init(key: Int, fields: [Field], body: ByteBuffer?, runTag: String, traceContext: Bool = false) {
        self.key = key
        self.fields = fields
        self.body = body
        let name = Array(RequestID.headerName.lowercased().utf8)
        self.requestIDLiteral = [0, UInt8(name.count)] + name + [UInt8(RequestTemplate.requestIDWidth)] + Array(runTag.utf8) + [UInt8(ascii: "-")]
        let traceName = Array(TraceParent.headerName.utf8)
        self.traceLiteral = traceContext
            ? [0, UInt8(traceName.count)] + traceName + [UInt8(TraceParent.width)] + Array(TraceParent.loadPrefix(runTag: runTag).utf8) : nil
    }
}

/// The HPACK encoder of one connection's requests (RFC 7541): each fixed field is entered in the
/// server's dynamic table the first time it is sent and named by its index after, as browsers and
/// h2load do, so the server decodes a steady request from indices alone; the request ID is a
/// literal never entered. A block that entered nothing is kept per request head and written
/// again as long as the table has not changed: encoding then costs a copy.
///
/// Strings are written without Huffman coding (the server's work to read them is the same or less).
/// If the server's SETTINGS allow a table smaller than the protocol's 4,096 bytes, the encoder
/// signals a table of 0 and stops indexing on that connection.
struct HPACKRequestEncoder {
    private var table: [HTTP2RequestHead.Field] = []  // oldest first
    private var tableSize = 0
    private var capacity = 4_096
    /// A table size update the next block must start with.
    private var pendingSizeUpdate: Int?
    /// Bumped whenever the table changes: cached blocks of an older one are stale.
    private var epoch = 0
    private var cache: [(epoch: Int, block: ByteBuffer)?] = []

    /// The server's SETTINGS_HEADER_TABLE_SIZE, once acknowledged.
    mutating func peerTableSize(_ size: Int) {
        guard size < capacity else { return }  // more room than used is no change
        capacity = 0
        table = []
        tableSize = 0
        pendingSizeUpdate = 0
        epoch += 1
    }

    /// Writes the header block of one request with `head`'s fields, the request ID `<run tag>-` +
    /// 16 hex digits of `number`, and with trace context the request's `traceparent`.
    mutating func encode(_ head: HTTP2RequestHead, requestNumber number: UInt64, into block: inout ByteBuffer) {
        if let size = pendingSizeUpdate {
            Self.writeInteger(size, prefix: 5, flags: 0x20, to: &block)
            pendingSizeUpdate = nil
        }
        if head.key < cache.count, let cached = cache[head.key], cached.epoch == epoch {
            block.writeImmutableBuffer(cached.block)
        } else {
            let before = epoch
            var fixed = ByteBuffer()
            for field in head.fields { encode(field, into: &fixed) }
            if epoch == before {
                if head.key >= cache.count { cache += Array(repeating: nil, count: head.key + 1 - cache.count) }
                cache[head.key] = (epoch, fixed)
            }
            block.writeBuffer(&fixed)
        }
        block.writeBytes(head.requestIDLiteral)
        block.writeWithUnsafeMutableBytes(minimumWritableBytes: 16) { space in
            RequestID.writeHex(number, into: space, at: 0)
            return 16
        }
        if let trace = head.traceLiteral {
            block.writeBytes(trace)
            block.writeWithUnsafeMutableBytes(minimumWritableBytes: 36) { space in
                RequestID.writeHex(number, into: space, at: 0)
                space[16] = UInt8(ascii: "-")
                RequestID.writeHex(TraceParent.spanBits(number), into: space, at: 17)
                space[33] = UInt8(ascii: "-")
                space[34] = UInt8(ascii: "0")
                space[35] = UInt8(ascii: "1")
                return 36
            }
        }
    }

    private mutating func encode(_ field: HTTP2RequestHead.Field, into block: inout ByteBuffer) {
        if field.staticIndex > 0 {
            return Self.writeInteger(field.staticIndex, prefix: 7, flags: 0x80, to: &block)
        }
        if let position = table.lastIndex(of: field) {
            return Self.writeInteger(HPACKStaticTable.entries.count + table.count - position, prefix: 7, flags: 0x80, to: &block)
        }
        let indexed = field.size <= capacity
        // With incremental indexing (0x40, 6-bit name index), or without (0x00, 4-bit).
        Self.writeInteger(field.staticNameIndex, prefix: indexed ? 6 : 4, flags: indexed ? 0x40 : 0, to: &block)
        if field.staticNameIndex == 0 { Self.writeString(field.name, to: &block) }
        Self.writeString(field.value, to: &block)
        if indexed { insert(field) }
    }

    private mutating func insert(_ field: HTTP2RequestHead.Field) {
        while tableSize + field.size > capacity, !table.isEmpty {
            tableSize -= table.removeFirst().size
        }
        table.append(field)
        tableSize += field.size
        epoch += 1
    }

    private static func writeString(_ bytes: [UInt8], to block: inout ByteBuffer) {
        writeInteger(bytes.count, prefix: 7, flags: 0, to: &block)
        block.writeBytes(bytes)
    }

    /// An HPACK integer (RFC 7541, 5.1) with a `prefix`-bit prefix, its first byte or-ed with `flags`.
    static func writeInteger(_ value: Int, prefix: Int, flags: UInt8, to block: inout ByteBuffer) {
        let limit = (1 << prefix) - 1
        guard value >= limit else {
            block.writeInteger(flags | UInt8(value))
            return
        }
        block.writeInteger(flags | UInt8(limit))
        var rest = value - limit
        while rest >= 128 {
            block.writeInteger(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        block.writeInteger(UInt8(rest))
    }
}

/// HPACK's static table (RFC 7541, Appendix A).
enum HPACKStaticTable {
    static let entries: [(name: String, value: String)] = [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""),
        ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""),
        ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""),
        ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""),
        ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
        ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ]
}
