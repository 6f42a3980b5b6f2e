import Foundation
import Hummingbird
import PostgresNIO

/// A workflow session's status as the API returns it.
struct WorkflowStatus: JSONBody, Decodable, Sendable, PageItem {
    static let listKey: StaticString = "workflows"

    var sessionID: UUID
    var projectID: UUID
    var currentStage: String
    /// The session's state, as PostgreSQL stored it: written out as it is, never decoded to be
    /// encoded again.
    var stateData: StoredJSON
    var isActive: Bool
    var startedAt: String
    var lastActivityAt: String
    var completedAt: String?

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case projectID = "project_id"
        case currentStage = "current_stage"
        case stateData = "state_data"
        case isActive = "is_active"
        case startedAt = "started_at"
        case lastActivityAt = "last_activity_at"
        case completedAt = "completed_at"
    }

    /// Keys sorted.
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("completed_at"); json.string(completedAt)
        json.key("current_stage"); json.string(currentStage)
        json.key("is_active"); json.bool(isActive)
        json.key("last_activity_at"); json.string(lastActivityAt)
        json.key("project_id"); json.uuid(projectID)
        json.key("session_id"); json.uuid(sessionID)
        json.key("started_at"); json.string(startedAt)
        json.key("state_data"); json.stored(stateData.text)
        json.endObject()
    }

    static let columns = "id, project_id, current_stage::text, state_data::text, is_active, \(Timestamp.sql("started_at")), "
        + "\(Timestamp.sql("last_activity_at")), \(Timestamp.sql("completed_at"))"

    init(row: PostgresRow) throws {
        let state: String
        (sessionID, projectID, currentStage, state, isActive, startedAt, lastActivityAt, completedAt) = try row.decode(
            (UUID, UUID, String, String, Bool, String, String, String?).self)
        stateData = StoredJSON(text: state)
    }
}

/// JSON as PostgreSQL stored it (`jsonb`): written out as it is, parsed only when read.
struct StoredJSON: Decodable, Sendable {
    let text: String

    init(text: String) {
        self.text = text
    }

    /// The document, parsed.
    var value: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null }

    init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        text = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
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

