import Foundation
import Hummingbird
import PostgresNIO

/// A project as the API returns it.
struct Project: JSONBody, Decodable, Sendable, Equatable, PageItem {
    static let listKey: StaticString = "projects"

    var id: UUID
    var name: String
    var description: String?
    var domain: String
    var status: String
    var createdAt: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, name, description, domain, status
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Keys sorted; a missing description is `null`, not left out, as the original answers.
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("created_at"); json.string(createdAt)
        json.key("description"); json.string(description)
        json.key("domain"); json.string(domain)
        json.key("id"); json.uuid(id)
        json.key("name"); json.string(name)
        json.key("status"); json.string(status)
        json.key("updated_at"); json.string(updatedAt)
        json.endObject()
    }

    /// The columns a `Project` is read from, in `init(row:)`'s order: timestamps formatted by
    /// PostgreSQL as the API writes them.
    static let columns = "id, name, description, domain::text, status::text, \(Timestamp.sql("created_at")), \(Timestamp.sql("updated_at"))"

    init(row: PostgresRow) throws {
        (id, name, description, domain, status, createdAt, updatedAt) = try row.decode((UUID, String, String?, String, String, String, String).self)
    }
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
