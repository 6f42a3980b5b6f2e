/// The original API's page arithmetic: `page` counts from 1, `has_next` when rows remain past this page.
struct Pagination: Sendable {
    var skip: Int
    var limit: Int

    var page: Int { skip / limit + 1 }

    func hasNext(total: Int) -> Bool { skip + limit < total }
}
