import Foundation
import Hummingbird
import PostgresNIO

/// A project as the API returns it.
public struct Project: ResponseEncodable, Decodable, Sendable, Equatable {
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
        let description = reader.string("description", required: false, length: 0...1000)
        let domain = reader.choice("domain", required: true, as: ProjectDomain.self)
        try reader.finish()
        self.name = name!
        self.description = description
        self.domain = domain!
    }
}

/// Changes to a project: every field optional, absent fields unchanged.
struct ProjectChanges: Sendable {
    var name: String?
    var description: String?
    var domain: ProjectDomain?
    var status: ProjectStatus?

    init(_ body: [String: JSONValue]) throws {
        var reader = FieldReader(body)
        name = reader.string("name", required: false, length: 1...200)
        description = reader.string("description", required: false, length: 0...1000)
        domain = reader.choice("domain", required: false, as: ProjectDomain.self)
        status = reader.choice("status", required: false, as: ProjectStatus.self)
        try reader.finish()
    }
}

/// The list's filters and page.
struct ProjectQuery: Sendable {
    var skip: Int
    var limit: Int
    var domain: ProjectDomain?
    var status: ProjectStatus?
    var search: String?

    init(_ request: Request) throws {
        var reader = QueryReader(request)
        skip = reader.integer("skip", default: 0, range: 0...Int(Int32.max))
        limit = reader.integer("limit", default: 100, range: 1...100)
        domain = reader.choice("domain", as: ProjectDomain.self)
        status = reader.choice("status_filter", as: ProjectStatus.self)
        search = reader.string("search", length: 1...200)
        try reader.finish()
    }
}

/// One page of projects: `{projects, total, page, page_size, has_next}`.
struct ProjectPage: ResponseEncodable, Sendable {
    var projects: [Project]
    var total: Int
    var page: Int
    var pageSize: Int
    var hasNext: Bool

    enum CodingKeys: String, CodingKey {
        case projects, total, page
        case pageSize = "page_size"
        case hasNext = "has_next"
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
