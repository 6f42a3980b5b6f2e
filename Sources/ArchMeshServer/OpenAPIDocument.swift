import Foundation

/// The API's OpenAPI 3.1 description, kept as `Resources/openapi.json`; a test checks that it
/// describes every route the router has. The fault routes are in it only on a server that has them.
public enum OpenAPIDocument {
    /// The paths that exist only with `--enable-faults`, and the schemas only they use.
    static let faultPaths = ["/_faults"]
    static let faultSchemas = ["FaultSettings", "FaultState"]

    /// The document's bytes; without `includingFaults`, the fault routes and their schemas are left out.
    public static func bytes(includingFaults: Bool = true) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw APIError(.internalServerError, code: "internal_error", message: "openapi.json is missing from the bundle")
        }
        let data = try Data(contentsOf: url)
        if includingFaults { return Array(data) }
        guard var root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return Array(data) }
        if var paths = root["paths"] as? [String: Any] {
            for path in faultPaths { paths[path] = nil }
            root["paths"] = paths
        }
        if var components = root["components"] as? [String: Any], var schemas = components["schemas"] as? [String: Any] {
            for schema in faultSchemas { schemas[schema] = nil }
            components["schemas"] = schemas
            root["components"] = components
        }
        return Array(try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}
