import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO

extension APIError {
    /// The API's answer to any error a handler threw: 4xx for the client's mistakes, 503 when the
    /// database is out of reach, and 500, logged with the request's ID, for everything else.
    static func from(_ error: any Error, requestID: String, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            return APIError(error.status, code: code(for: error.status), message: error.body ?? error.status.reasonPhrase, headers: error.headers)
        case is NIOTooManyBytesError:
            return .payloadTooLarge(limit: ServerConfiguration.defaultMaximumBodyBytes)
        case let error as HTTPParserError:
            // The client's bytes were not HTTP, or stopped mid-request: its mistake, not ours.
            return APIError(.badRequest, code: "malformed_request", message: "the request could not be read: \(error.debugDescription)")
        case let error as DatabaseUnavailable:
            return .databaseUnavailable(error.reason)
        case let error as PSQLError where isConnectivity(error):
            return .databaseUnavailable(connectivityReason(error))
        default:
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return .internal(requestID: requestID)
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: return "not_found"
        case .methodNotAllowed: return "method_not_allowed"
        case .badRequest: return "bad_request"
        case .contentTooLarge: return "payload_too_large"
        case .unprocessableContent: return "validation_failed"
        case .conflict: return "conflict"
        case .serviceUnavailable: return "unavailable"
        default: return status.code < 500 ? "client_error" : "server_error"
        }
    }

    /// Connection-level failures: the server closed, could not be reached, or is shutting down.
    static func isConnectivity(_ error: PSQLError) -> Bool {
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        case .server:
            // SQLSTATE class 08 (connection exception), 57P01..57P03 (shutdown, crash, cannot connect now).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
        default:
            return false
        }
    }

    /// Why a connection to PostgreSQL could not be made, in a line.
    static func connectionFailureReason(_ error: any Error) -> String {
        if let error = error as? PSQLError { return connectivityReason(error) }
        return "\(error)"
    }

    private static func connectivityReason(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }
}
