/// Why a load run could not start or finish, in words a user can act on.
public enum LoadEngineError: Error, CustomStringConvertible, Sendable {
    case invalidURL(String)
    case remoteTargetRefused(String)
    case unreachable(target: String, reason: String)
    case invalidPlan(String)

    public var description: String {
        switch self {
        case .invalidURL(let message): return "invalid target URL: \(message)"
        case .remoteTargetRefused(let host):
            return "\(host) is not a loopback address; pass --allow-remote to send load to another machine"
        case .unreachable(let target, let reason): return "cannot connect to \(target): \(reason)"
        case .invalidPlan(let message): return message
        }
    }
}
