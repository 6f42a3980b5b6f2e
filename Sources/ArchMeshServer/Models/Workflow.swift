import Foundation
import Hummingbird
import PostgresNIO

/// A workflow session's status as the API returns it.
public struct WorkflowStatus: ResponseEncodable, Decodable, Sendable, PageItem {
    static let listKey = "workflows"

    public var sessionID: UUID
    public var projectID: UUID
    public var currentStage: String
    public var stateData: JSONValue
    public var isActive: Bool
    public var startedAt: String
    public var lastActivityAt: String
    public var completedAt: String?

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

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sessionID.lowercasedString, forKey: .sessionID)
        try container.encode(projectID.lowercasedString, forKey: .projectID)
        try container.encode(currentStage, forKey: .currentStage)
        try container.encode(stateData, forKey: .stateData)
        try container.encode(isActive, forKey: .isActive)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(lastActivityAt, forKey: .lastActivityAt)
        try container.encode(completedAt, forKey: .completedAt)
    }

    static let columns = "id, project_id, current_stage::text, state_data::text, is_active, started_at, last_activity_at, completed_at"

    init(row: PostgresRow) throws {
        let (id, projectID, stage, state, active, started, lastActivity, completed) = try row.decode(
            (UUID, UUID, String, String, Bool, Date, Date, Date?).self)
        self.sessionID = id
        self.projectID = projectID
        self.currentStage = stage
        self.stateData = (try? JSONDecoder().decode(JSONValue.self, from: Data(state.utf8))) ?? .object([:])
        self.isActive = active
        self.startedAt = Timestamp.iso8601(started)
        self.lastActivityAt = Timestamp.iso8601(lastActivity)
        self.completedAt = completed.map(Timestamp.iso8601)
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

