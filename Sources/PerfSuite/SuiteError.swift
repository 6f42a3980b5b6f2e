/// Why a suite could not be set up or run.
public enum SuiteError: Error, CustomStringConvertible, Sendable {
    case environment(String)
    case selection(String)

    public var description: String {
        switch self {
        case .environment(let message): return message
        case .selection(let message): return message
        }
    }
}
