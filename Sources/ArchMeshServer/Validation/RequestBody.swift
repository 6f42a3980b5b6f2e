import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// The body as a JSON object, or the API error that says what is wrong with it: 413 past
    /// `limit` bytes, 400 when it is not JSON, 422 when it is JSON but not an object.
    func jsonObject(limit: Int) async throws -> [String: JSONValue] {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge(limit: limit)
        }
        guard buffer.readableBytes > 0 else { throw APIError.malformedJSON("the body is empty") }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError.malformedJSON(Self.describe(error))
        }
        guard case .object(let object) = value else {
            throw APIError.invalid("body", "must be a JSON object, got \(value.typeName)")
        }
        if let field = value.pathToNUL(at: "") { throw APIError.invalid(field, "must not contain the NUL character (U+0000)") }
        return object
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return "unreadable"
    }
}
