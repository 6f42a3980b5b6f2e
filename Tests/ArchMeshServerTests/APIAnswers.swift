@testable import ArchMeshServer
import Foundation

/// A project as a client reads it from the API: the tests' own reading of the JSON, apart from the
/// server's way of writing it.
struct ProjectAnswer: Decodable, Equatable {
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
}

/// A workflow session's status as a client reads it from the API.
struct WorkflowAnswer: Decodable {
    var sessionID: UUID
    var projectID: UUID
    var currentStage: String
    var stateData: JSONValue
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
}
