import Hummingbird
import NIOCore
import PostgresNIO

/// How a JSON object is written straight from a row's bytes: for each key, the SQL that selects its
/// value and how that column's bytes are written. One list is the select list and the object, so
/// the two cannot drift apart. Writing from the bytes, without decoding each cell into a Swift value
/// first, took a list request's decoding (a `String` made and freed per cell: 9.7% of its CPU in the
/// profile) out of the way.
struct RowLayout: Sendable {
    enum Kind: Sendable {
        /// Text columns, written as JSON strings.
        case text
        /// A `uuid`, written in its lowercase canonical form.
        case uuid
        case bool
        /// JSON as PostgreSQL stored it (`jsonb` or its text), written compact.
        case storedJSON
    }

    struct Field: Sendable {
        var key: StaticString
        var sql: String
        var kind: Kind
    }

    /// The fields in the select list's order.
    let fields: [Field]
    /// The select list: each field's SQL, in order.
    let columns: String
    /// Column indexes in the order their keys are written: sorted by key, as the API has always answered.
    private let written: [Int]

    init(_ fields: [Field]) {
        self.fields = fields
        columns = fields.map(\.sql).joined(separator: ", ")
        written = fields.indices.sorted { fields[$0].key.description < fields[$1].key.description }
    }

    /// A row that is not what the layout says (a column of another type, too few columns): a
    /// mistake in the layout or the schema, never in a request.
    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    /// A cell, checked against its field and ready to be written.
    private enum Value {
        case null
        case text(ByteBuffer)
        case uuid(ByteBuffer)
        case bool(Bool)
        case json(ByteBuffer)

        /// The most bytes it takes written.
        var bound: Int {
            switch self {
            case .null: 4
            case .text(let bytes): RawOutput.escapedBound(bytes.readableBytes)
            case .uuid: RawOutput.uuidBound
            case .bool: 5
            case .json(let bytes): bytes.readableBytes
            }
        }
    }

    /// Each row as one object, one after another (as a list's elements); a NULL cell is `null`;
    /// columns past the layout's (a page's count) are left out. An object is written into room
    /// reserved for it at once.
    func write(_ rows: some Sequence<PostgresRow>, to json: inout JSONWriter) throws {
        var values: [Value] = []
        values.reserveCapacity(fields.count)
        for row in rows {
            values.removeAll(keepingCapacity: true)
            var bound = 2
            for cell in row {
                guard values.count < fields.count else { break }
                let field = fields[values.count]
                let value = try Self.value(cell, as: field)
                bound += field.key.utf8CodeUnitCount + 4 + value.bound
                values.append(value)
            }
            guard values.count == fields.count else { throw Mismatch(description: "a row of \(values.count) columns, not \(fields.count)") }
            json.raw(upTo: bound) { output in
                output.put(UInt8(ascii: "{"))
                for (position, index) in written.enumerated() {
                    if position > 0 { output.put(UInt8(ascii: ",")) }
                    output.key(fields[index].key)
                    switch values[index] {
                    case .null: output.put("null")
                    case .text(let bytes): bytes.withUnsafeReadableBytes { output.escaped($0) }
                    case .uuid(let bytes): bytes.withUnsafeReadableBytes { output.uuid($0) }
                    case .bool(let value): output.put(value ? "true" : "false")
                    case .json(let bytes): bytes.withUnsafeReadableBytes { output.compactJSON($0) }
                    }
                }
                output.put(UInt8(ascii: "}"))
            }
        }
    }

    private static func value(_ cell: PostgresCell, as field: Field) throws -> Value {
        guard let bytes = cell.bytes else { return .null }
        switch (field.kind, cell.dataType) {
        case (.text, .text), (.text, .varchar), (.text, .name), (.text, .bpchar), (.storedJSON, .text):
            return field.kind == .storedJSON ? .json(bytes) : .text(bytes)
        case (.uuid, _) where cell.format == .text:
            // A uuid sent as text is already lowercase and canonical.
            return .text(bytes)
        case (.uuid, .uuid) where bytes.readableBytes == 16:
            return .uuid(bytes)
        case (.bool, .bool) where bytes.readableBytes == 1:
            return .bool(bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) != 0)
        case (.storedJSON, .jsonb) where bytes.readableBytes >= 1 && cell.format == .binary:
            // Binary jsonb: a version byte (1), then the document's text.
            return .json(bytes.getSlice(at: bytes.readerIndex + 1, length: bytes.readableBytes - 1)!)
        default:
            throw Mismatch(description: "column \(field.key) came as \(cell.dataType), not as its layout says")
        }
    }
}

/// What the API answers from rows of one shape: a project, a workflow's status.
protocol RowItem: Sendable {
    /// The key a list of them goes under: `projects`, `workflows`.
    static var listKey: StaticString { get }
    static var layout: RowLayout { get }
}

/// One item, answered as written from its row.
struct RowBody<Item: RowItem>: JSONBody {
    let row: PostgresRow

    func write(to json: inout JSONWriter) throws {
        try Item.layout.write(CollectionOfOne(row), to: &json)
    }
}
