import Foundation

/// The closed sets of values ArchMesh's API accepts, as its database enums define them.
public enum ProjectDomain: String, CaseIterable, Codable, Sendable {
    case cloudNative = "cloud-native"
    case dataPlatform = "data-platform"
    case enterprise
}

public enum ProjectStatus: String, CaseIterable, Codable, Sendable {
    case pending, processing, completed, failed
}

public enum WorkflowStage: String, CaseIterable, Codable, Sendable {
    case starting
    case documentAnalysis = "document_analysis"
    case requirementExtraction = "requirement_extraction"
    case requirementsReview = "requirements_review"
    case architectureDesign = "architecture_design"
    case architectureReview = "architecture_review"
    case technologySelection = "technology_selection"
    case finalReview = "final_review"
    case completed, failed
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// "one of a, b, c": for error messages that say what would be accepted.
    static var acceptedValues: String {
        "one of " + allCases.map(\.rawValue).joined(separator: ", ")
    }
}

extension UUID {
    /// The lowercase form the original API (Python's `str(uuid)`) writes.
    var lowercasedString: String { uuidString.lowercased() }
}
