import Hummingbird
import PostgresNIO

/// One page of a list, as the original API returns it: `{<items>, total, page, page_size, has_next}`,
/// `page` counting from 1 and `has_next` when rows remain past it.
struct Page<Item: RowItem>: JSONBody, Sendable {
    /// The page's rows, each written by the item's layout.
    var rows: [PostgresRow]
    var total: Int
    var window: PageWindow

    var page: Int { window.skip / window.limit + 1 }
    var hasNext: Bool { window.skip + window.limit < total }

    /// Keys sorted, the list under the item's own key.
    func write(to json: inout JSONWriter) throws {
        json.beginObject()
        json.key("has_next"); json.bool(hasNext)
        json.key("page"); json.number(page)
        json.key("page_size"); json.number(window.limit)
        let listFirst = Item.listKey.description < "total"
        if !listFirst { json.key("total"); json.number(total) }
        json.key(Item.listKey)
        json.beginArray()
        try Item.layout.write(rows, to: &json)
        json.endArray()
        if listFirst { json.key("total"); json.number(total) }
        json.endObject()
    }
}

/// Which rows of a list a request asks for: `skip` (0 or more) and `limit` (1 to 100, default 100).
struct PageWindow: Sendable {
    var skip: Int
    var limit: Int
}

extension QueryReader {
    /// The request's `skip` and `limit`.
    mutating func pageWindow() -> PageWindow {
        PageWindow(skip: integer("skip", default: 0, range: 0...Int(Int32.max)), limit: integer("limit", default: 100, range: 1...100))
    }
}
