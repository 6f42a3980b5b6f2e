import Foundation
import Hummingbird
import PostgresNIO

/// A project as the API returns it.
public struct Project: ResponseEncodable, Decodable, Sendable, Equatable, PageItem {
    static let listKey = "projects"

    public var id: UUID
    public var name: String
    public var description: String?
    public var domain: String
    public var status: String
    public var createdAt: String
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, name, description, domain, status
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.lowercasedString, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)  // null, not omitted, as the original
        try container.encode(domain, forKey: .domain)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    /// The columns a `Project` is read from, in `init(row:)`'s order.
    static let columns = "id, name, description, domain::text, status::text, created_at, updated_at"

    init(row: PostgresRow) throws {
        let (id, name, description, domain, status, created, updated) = try row.decode(
            (UUID, String, String?, String, String, Date, Date).self)
        self.id = id
        self.name = name
        self.description = description
        self.domain = domain
        self.status = status
        self.createdAt = Timestamp.iso8601(created)
        self.updatedAt = Timestamp.iso8601(updated)
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
struct ProjectStatistics: ResponseEncodable, Sendable {
    var totalProjects: Int
    var projectsByDomain: [String: Int]
    var projectsByStatus: [String: Int]
    var activeWorkflows: Int

    enum CodingKeys: String, CodingKey {
        case totalProjects = "total_projects"
        case projectsByDomain = "projects_by_domain"
        case projectsByStatus = "projects_by_status"
        case activeWorkflows = "active_workflows"
    }
}
