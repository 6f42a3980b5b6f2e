import Foundation

/// The API's OpenAPI 3.1 description, kept as `Resources/openapi.json` and served as-is; a test
/// checks that it describes every route the router has.
public enum OpenAPIDocument {
    /// The document's bytes.
    public static func bytes() throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw APIError(.internalServerError, code: "internal_error", message: "openapi.json is missing from the bundle")
        }
        return Array(try Data(contentsOf: url))
    }
}
