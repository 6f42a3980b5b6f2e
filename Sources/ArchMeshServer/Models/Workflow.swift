import Foundation
import Hummingbird
import PostgresNIO

/// A workflow session's status as the API returns it, written from its row. Its state is written
/// as PostgreSQL stored it, never decoded to be encoded again.
enum WorkflowStatus: RowItem {
    static let listKey: StaticString = "workflows"

    static let layout = RowLayout([
        .init(key: "session_id", sql: "id", kind: .uuid),
        .init(key: "project_id", sql: "project_id", kind: .uuid),
        .init(key: "current_stage", sql: "current_stage::text", kind: .text),
        .init(key: "state_data", sql: "state_data::text", kind: .storedJSON),
        .init(key: "is_active", sql: "is_active", kind: .bool),
        .init(key: "started_at", sql: Timestamp.sql("started_at"), kind: .text),
        .init(key: "last_activity_at", sql: Timestamp.sql("last_activity_at"), kind: .text),
        .init(key: "completed_at", sql: Timestamp.sql("completed_at"), kind: .text),
    ])

    /// The select list of a workflow session's row.
    static var columns: String { layout.columns }
}

/// `POST /api/v1/workflows/start`, checked.
struct WorkflowStart: Sendable {
    var projectID: UUID
    var initialStage: WorkflowStage
    var configuration: [String: JSONValue]
    var context: [String: JSONValue]

    init(_ body: [String: JSONValue]) throws {
        var reader = FieldReader(body)
        let projectID = reader.uuid("project_id", required: true)
        let stage = reader.choice("initial_stage", required: false, as: WorkflowStage.self)
        if let stage, stage == .completed || stage == .failed {
            reader.fail("initial_stage", "must be a stage a workflow can start in, not '\(stage.rawValue)'")
        }
        let configuration = reader.object("configuration")
        let context = reader.object("context")
        try reader.finish()
        self.projectID = projectID!
        self.initialStage = stage ?? .documentAnalysis
        self.configuration = configuration ?? [:]
        self.context = context ?? [:]
    }

    /// The state a new session starts with, in the original's shape.
    var initialState: JSONValue {
        .object([
            "current_stage": .string(initialStage.rawValue),
            "stage_progress": .number(0),
            "completed_stages": .array([]),
            "stage_results": .object([:]),
            "pending_tasks": .array([]),
            "errors": .array([]),
            "metadata": .object(["configuration": .object(configuration), "context": .object(context)]),
        ])
    }
}

/// The workflow list's filters and page.
struct WorkflowQuery: Sendable {
    var window: PageWindow
    var projectID: UUID?
    var isActive: Bool?
    var stage: WorkflowStage?

    init(_ request: Request) throws {
        var reader = QueryReader(request)
        window = reader.pageWindow()
        projectID = reader.uuid("project_id")
        isActive = reader.boolean("is_active")
        stage = reader.choice("stage", as: WorkflowStage.self)
        try reader.finish()
    }
}

