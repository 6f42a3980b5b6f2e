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

    /// A column whose type is not what its field says: a mistake in the layout or the schema, never in a request.
    struct Mismatch: Error, CustomStringConvertible {
        var key: String
        var dataType: PostgresDataType
        var description: String { "column \(key) came as \(dataType), not as its layout says" }
    }

    /// The row as one object; a NULL cell is `null`; columns past the layout's (a page's count) are left out.
    func write(_ row: PostgresRow, to json: inout JSONWriter) throws {
        let cells = row.makeRandomAccess()
        json.beginObject()
        for index in written {
            let field = fields[index], cell = cells[index]
            json.key(field.key)
            guard let bytes = cell.bytes else {
                json.null()
                continue
            }
            switch (field.kind, cell.dataType) {
            case (.text, .text), (.text, .varchar), (.text, .name), (.text, .bpchar),
                 (.storedJSON, .text), (.uuid, _) where cell.format == .text:
                // Text, and any column sent as text (a uuid's text is already lowercase and canonical).
                if field.kind == .storedJSON { json.stored(bytes) } else { json.string(bytes) }
            case (.uuid, .uuid) where bytes.readableBytes == 16:
                json.uuid(bytes)
            case (.bool, .bool) where bytes.readableBytes == 1:
                json.bool(bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) != 0)
            case (.storedJSON, .jsonb) where bytes.readableBytes >= 1 && cell.format == .binary:
                // Binary jsonb: a version byte (1), then the document's text.
                json.stored(bytes.getSlice(at: bytes.readerIndex + 1, length: bytes.readableBytes - 1)!)
            default:
                throw Mismatch(key: field.key.description, dataType: cell.dataType)
            }
        }
        json.endObject()
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
        try Item.layout.write(row, to: &json)
    }
}
