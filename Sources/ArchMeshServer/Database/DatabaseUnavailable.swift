/// Thrown when no pooled connection could be had in time: the database is down or overwhelmed.
struct DatabaseUnavailable: Error, Sendable {
    var reason: String
}
