import Foundation
import PostgresNIO

/// A statement the server sends on most requests, as a named prepared statement: PostgreSQL parses
/// and analyses it once per connection, then only binds and runs it. Parsing the projects list's
/// statement cost PostgreSQL more than running it (pgbench over 1000 projects: 6,500-7,700
/// statements/s sent whole, 12,000-16,800 prepared). Plans are still made for each execution's
/// values (`plan_cache_mode=force_custom_plan` on the pool's connections), as for an unnamed
/// statement, so a filter's value still chooses its index.
protocol PreparedQuery: PostgresPreparedStatement where Row == PostgresRow {
    /// The statement's label in the metrics.
    static var label: StaticString { get }
}

extension PreparedQuery {
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }

    /// The statement's name on the connection: its label, a small string made without allocating
    /// (the default, the type's reflected name, was built again on every execution).
    static var name: String { label.description }
}

/// A list's page, with the count of every row that matches in its last column.
protocol PageQuery: PreparedQuery {
    /// `binds`: the filter's values, then the limit and the offset.
    init(binds: PostgresBindings)
}

/// The health check's `SELECT 1`.
struct HealthCheckQuery: PreparedQuery {
    static let label: StaticString = "health.select_1"
    static let sql = "SELECT 1"
    func makeBindings() -> PostgresBindings { PostgresBindings() }
}

struct ProjectPageQuery: PageQuery {
    static let label: StaticString = "projects.page"
    static let sql = ListFilter.pageSQL(
        Project.columns, from: "projects", where: ProjectRepository.condition, parameters: 3, orderBy: "created_at DESC, id DESC")
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .int8, .int8]
    let binds: PostgresBindings
    func makeBindings() -> PostgresBindings { binds }
}

struct WorkflowPageQuery: PageQuery {
    static let label: StaticString = "workflows.page"
    static let sql = ListFilter.pageSQL(
        WorkflowStatus.columns, from: "workflow_sessions", where: WorkflowRepository.condition, parameters: 3,
        orderBy: "started_at DESC, id DESC")
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .bool, .text, .int8, .int8]
    let binds: PostgresBindings
    func makeBindings() -> PostgresBindings { binds }
}

struct ProjectByIDQuery: PreparedQuery {
    static let label: StaticString = "projects.get"
    static let sql = "SELECT \(Project.columns) FROM projects WHERE id = $1"
    static let bindingDataTypes: [PostgresDataType] = [.uuid]
    let id: UUID
    func makeBindings() -> PostgresBindings { .init(id) }
}

struct WorkflowByIDQuery: PreparedQuery {
    static let label: StaticString = "workflows.get"
    static let sql = "SELECT \(WorkflowStatus.columns) FROM workflow_sessions WHERE id = $1"
    static let bindingDataTypes: [PostgresDataType] = [.uuid]
    let id: UUID
    func makeBindings() -> PostgresBindings { .init(id) }
}

extension PostgresBindings {
    /// Bindings of one value.
    init(_ value: UUID) {
        self.init()
        append(value)
    }
}
