import Foundation
import Hummingbird
import PostgresNIO

/// A project as the API returns it, written from its row.
enum Project: RowItem {
    static let listKey: StaticString = "projects"

    /// A missing description is `null`, not left out, as the original answers; timestamps formatted
    /// by PostgreSQL as the API writes them.
    static let layout = RowLayout([
        .init(key: "id", sql: "id", kind: .uuid),
        .init(key: "name", sql: "name", kind: .text),
        .init(key: "description", sql: "description", kind: .text),
        .init(key: "domain", sql: "domain::text", kind: .text),
        .init(key: "status", sql: "status::text", kind: .text),
        .init(key: "created_at", sql: Timestamp.sql("created_at"), kind: .text),
        .init(key: "updated_at", sql: Timestamp.sql("updated_at"), kind: .text),
    ])

    /// The select list of a project's row.
    static var columns: String { layout.columns }
}

/// A new project, checked.
struct ProjectDraft: Sendable {
    var name: String
    var description: String?
    var domain: ProjectDomain

    init(_ body: [String: JSONValue]) throws {
        var reader = FieldReader(body)
        let name = reader.string("name", required: true, length: 1...200)
        let description = reader.nullableString("description", length: 0...1000)
        let domain = reader.choice("domain", required: true, as: ProjectDomain.self)
        try reader.finish()
        self.name = name!
        if case .value(let text) = description { self.description = text }
        self.domain = domain!
    }
}

/// Changes to a project: every field optional, absent fields unchanged; a `null` description
/// clears it (the only field that may be null).
struct ProjectChanges: Sendable {
    var name: String?
    /// True when the body names a description, to set it to `description` (nil clears it).
    var changesDescription = false
    var description: String?
    var domain: ProjectDomain?
    var status: ProjectStatus?

    init(_ body: [String: JSONValue]) throws {
        var reader = FieldReader(body)
        name = reader.string("name", required: false, length: 1...200)
        switch reader.nullableString("description", length: 0...1000) {
        case .absent, .invalid: break
        case .null: changesDescription = true
        case .value(let text):
            changesDescription = true
            description = text
        }
        domain = reader.choice("domain", required: false, as: ProjectDomain.self)
        status = reader.choice("status", required: false, as: ProjectStatus.self)
        try reader.finish()
    }
}

/// The list's filters and page.
struct ProjectQuery: Sendable {
    var window: PageWindow
    var domain: ProjectDomain?
    var status: ProjectStatus?
    var search: String?

    init(_ request: Request) throws {
        var reader = QueryReader(request)
        window = reader.pageWindow()
        domain = reader.choice("domain", as: ProjectDomain.self)
        status = reader.choice("status_filter", as: ProjectStatus.self)
        search = reader.string("search", length: 1...200)
        try reader.finish()
    }
}

/// `GET /api/v1/projects/stats/overview`.
struct ProjectStatistics: JSONBody, Sendable {
    var totalProjects: Int
    var projectsByDomain: [String: Int]
    var projectsByStatus: [String: Int]
    var activeWorkflows: Int

    func write(to json: inout JSONWriter) {
        func counts(_ values: [String: Int]) {
            json.beginObject()
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                json.key(key)
                json.number(value)
            }
            json.endObject()
        }
        json.beginObject()
        json.key("active_workflows"); json.number(activeWorkflows)
        json.key("projects_by_domain"); counts(projectsByDomain)
        json.key("projects_by_status"); counts(projectsByStatus)
        json.key("total_projects"); json.number(totalProjects)
        json.endObject()
    }
}
