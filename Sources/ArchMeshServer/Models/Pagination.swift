import Hummingbird

/// One page of a list, as the original API returns it: `{<items>, total, page, page_size, has_next}`,
/// `page` counting from 1 and `has_next` when rows remain past it.
struct Page<Item: PageItem>: ResponseEncodable, Sendable {
    var items: [Item]
    var total: Int
    var window: PageWindow

    var page: Int { window.skip / window.limit + 1 }
    var hasNext: Bool { window.skip + window.limit < total }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: Key(stringValue: Item.listKey))
        try container.encode(total, forKey: Key(stringValue: "total"))
        try container.encode(page, forKey: Key(stringValue: "page"))
        try container.encode(window.limit, forKey: Key(stringValue: "page_size"))
        try container.encode(hasNext, forKey: Key(stringValue: "has_next"))
    }
}

/// What a page can hold, and the key its list goes under.
protocol PageItem: Encodable, Sendable {
    static var listKey: String { get }
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
